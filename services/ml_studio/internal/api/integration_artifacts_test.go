package api_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// TestStreamedArtifacts: a 5 MiB file goes up through ml_studio (with a
// length and chunked) and comes back byte-identical; a reader may download
// it but not upload; nobody may do either.
func TestStreamedArtifacts(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	fx := newFixture(t, c)
	data := make([]byte, 5<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	sum := sha256.Sum256(data)
	url := func(path string) string { return "/api/artifacts/" + path + "?run_id=" + fx.RunID + "&path=" }

	for _, tc := range []struct {
		name, path string
		body       func() any
	}{
		{"with a length", "big/sized.bin", func() any { return data }},
		// io.MultiReader hides the length: the client sends it chunked.
		{"chunked", "big/chunked.bin", func() any { return io.MultiReader(bytes.NewReader(data)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := c.studio.Do(t, c.user(creator), put, url("upload")+tc.path, tc.body(), nil)
			if up.Status != http.StatusOK {
				t.Fatalf("upload: %s", up)
			}
			down := c.studio.Do(t, c.user(reader), get, url("download")+tc.path, nil, nil)
			if down.Status != http.StatusOK {
				t.Fatalf("download as reader: %s", down)
			}
			if got := sha256.Sum256(down.Body); got != sum || len(down.Body) != len(data) {
				t.Fatalf("downloaded %d bytes, sha256 %x; uploaded %d bytes, sha256 %x", len(down.Body), got, len(data), sum)
			}
			if cl := down.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(data)) {
				t.Errorf("Content-Length %s, want %d", cl, len(data))
			}
			name := tc.path[strings.LastIndex(tc.path, "/")+1:]
			if cd := down.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="`+name+`"`) {
				t.Errorf("Content-Disposition %q does not name %s", cd, name)
			}
			mustContain(t, c.st.MustMLflow(t, get, "/artifacts/list", map[string]any{"run_id": fx.RunID, "path": "big"}),
				`"path":"`+tc.path+`"`, `"file_size":`+strconv.Itoa(len(data)))
		})
	}

	t.Run("reader may not upload", func(t *testing.T) {
		before := snapshot(t, c.st, fx)
		for _, path := range []string{"big/sized.bin", "big/by-reader.bin"} {
			r := c.studio.Do(t, c.user(reader), put, url("upload")+path, bytes.Repeat([]byte("x"), 1<<20), nil)
			if r.Status != http.StatusForbidden {
				t.Fatalf("upload as reader: %s, want 403", r)
			}
			requireErrorBody(t, r, fx.secrets)
		}
		if after := snapshot(t, c.st, fx); after != before {
			t.Errorf("a refused upload changed the artifacts:\n%s\n%s", before, after)
		}
		down := c.studio.Do(t, c.user(creator), get, url("download")+"big/sized.bin", nil, nil)
		if sha256.Sum256(down.Body) != sum {
			t.Errorf("the file changed after a refused overwrite: %s", down)
		}
	})

	t.Run("nobody may do either", func(t *testing.T) {
		for _, r := range []*apitest.Response{
			c.studio.Do(t, c.user(nobody), get, url("download")+"big/sized.bin", nil, nil),
			c.studio.Do(t, c.user(nobody), put, url("upload")+"big/by-nobody.bin", []byte("x"), nil),
		} {
			if r.Status != http.StatusForbidden {
				t.Errorf("%s, want 403", r)
			}
			requireErrorBody(t, r, append([]string{string(data[:64])}, fx.secrets...))
		}
	})
}
