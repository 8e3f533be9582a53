package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestExpand(t *testing.T) {
	lookup := env(map[string]string{"PORT": "5001", "EMPTY": ""})
	for in, want := range map[string]string{
		"http://127.0.0.1:${PORT}/healthz":       "http://127.0.0.1:5001/healthz",
		"http://127.0.0.1:${PORT:-5000}/healthz": "http://127.0.0.1:5001/healthz",
		"http://127.0.0.1:${UNSET:-5000}/x":      "http://127.0.0.1:5000/x",
		"http://127.0.0.1:${EMPTY:-5000}/x":      "http://127.0.0.1:5000/x",
		"http://h/${UNSET}x":                     "http://h/x",
		"http://h/$PORT/${open":                  "http://h/$PORT/${open",
		"no variables":                           "no variables",
		"${PORT}${PORT}":                         "50015001",
	} {
		if got := expand(in, lookup); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRun(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"database: down"}`, http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	lookup := env(map[string]string{"SVC_PORT": port})

	cases := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"healthy", []string{"http://127.0.0.1:${SVC_PORT}/healthz"}, 0, ""},
		{"unready", []string{srv.URL + "/readyz"}, 1, "503"},
		{"not found", []string{srv.URL + "/nope"}, 1, "404"},
		{"timeout", []string{"-timeout", "100ms", srv.URL + "/slow"}, 1, "no answer within 100ms"},
		{"refused", []string{"http://127.0.0.1:1/healthz"}, 1, "GET http://127.0.0.1:1/healthz"},
		{"no URL", nil, 2, "usage"},
		{"two URLs", []string{srv.URL, srv.URL}, 2, "usage"},
		{"bad flag", []string{"-nope", srv.URL}, 2, ""},
		{"bad URL", []string{"http://[::1"}, 1, "bad URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(c.args, lookup, &stderr); code != c.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, c.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), c.inStderr) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), c.inStderr)
			}
			if c.code == 0 && stderr.Len() != 0 {
				t.Errorf("a healthy check printed %q", stderr.String())
			}
		})
	}
}
