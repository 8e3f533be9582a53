package soak

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// API paths of the MLflow surface the soak uses.
const (
	mlflowAPI    = "/api/2.0/mlflow"
	artifactsAPI = "/api/2.0/mlflow-artifacts/artifacts/"
)

// User is an account the clients act as, with an API token (what a
// notebook's MLFLOW_TRACKING_TOKEN holds), an experiment of its own and a
// probe run in it with an artifact, which its neighbour reads while the
// admin gives and takes that neighbour's read grant.
type User struct {
	Name, Token     string
	ExpID, ExpName  string
	ProbeRun        string
	ProbeArtifact   string // path under mlflow-artifacts/artifacts/
	ProbeContent    []byte
	neighbourAccess *history
}

// World is what Setup made: the admin's token and the users. User i's
// neighbour is user i+1 (the last one's is the first).
type World struct {
	Admin string
	Users []User
}

// Neighbour is the user whose experiment user i reads.
func (w *World) Neighbour(i int) *User { return &w.Users[(i+1)%len(w.Users)] }

// Random is hex of n random bytes, for names that must not collide.
func Random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Setup makes n users through ml_studio as the admin would: each gets an
// account, an API token, create on project:default, an experiment it
// creates (so it manages it) and a probe run with an artifact. Nobody
// reads anyone else's experiment yet.
func Setup(ctx context.Context, c *Client, adminToken string, n int, tag string) (*World, error) {
	if n < 2 {
		return nil, fmt.Errorf("at least two users are needed, not %d", n)
	}
	w := &World{Admin: adminToken}
	for i := range n {
		u := User{Name: fmt.Sprintf("soak-%s-%02d", tag, i), neighbourAccess: &history{}}
		password := "pw-" + Random(12)
		if err := c.Expect(ctx, http.StatusCreated, http.MethodPost, "/api/users", adminToken, map[string]string{"username": u.Name, "password": password}, nil); err != nil {
			return nil, err
		}
		var session struct {
			Token string `json:"token"`
		}
		if err := c.Expect(ctx, http.StatusOK, http.MethodPost, "/api/auth/login", "", map[string]string{"username": u.Name, "password": password}, &session); err != nil {
			return nil, err
		}
		var tok struct {
			Token string `json:"token"`
		}
		if err := c.Expect(ctx, http.StatusCreated, http.MethodPost, "/api/tokens", session.Token, map[string]string{"name": "soak"}, &tok); err != nil {
			return nil, err
		}
		u.Token = tok.Token
		if err := c.Expect(ctx, http.StatusCreated, http.MethodPost, "/api/grants", adminToken,
			map[string]string{"element": "project:default", "operation": "create", "user": u.Name}, nil); err != nil {
			return nil, err
		}
		u.ExpName = "soak-" + tag + "-" + u.Name + "-" + Random(4)
		var exp struct {
			ID string `json:"experiment_id"`
		}
		if err := c.Expect(ctx, http.StatusOK, http.MethodPost, mlflowAPI+"/experiments/create", u.Token, map[string]string{"name": u.ExpName}, &exp); err != nil {
			return nil, err
		}
		u.ExpID = exp.ID
		run, root, err := createRun(ctx, c, u.Token, u.ExpID, "probe")
		if err != nil {
			return nil, err
		}
		u.ProbeRun, u.ProbeArtifact = run, root+"/probe.txt"
		u.ProbeContent = []byte("probe of " + u.Name + " " + Random(16) + "\n")
		if err := c.Expect(ctx, http.StatusOK, http.MethodPut, artifactsAPI+u.ProbeArtifact, u.Token, u.ProbeContent, nil); err != nil {
			return nil, err
		}
		w.Users = append(w.Users, u)
	}
	return w, nil
}

// createRun starts a run in exp and returns its id and its artifacts' path
// under mlflow-artifacts/artifacts/.
func createRun(ctx context.Context, c *Client, token, exp, name string) (id, root string, err error) {
	var run struct {
		Run struct {
			Info struct {
				RunID       string `json:"run_id"`
				ArtifactURI string `json:"artifact_uri"`
			} `json:"info"`
		} `json:"run"`
	}
	if err := c.Expect(ctx, http.StatusOK, http.MethodPost, mlflowAPI+"/runs/create", token,
		map[string]any{"experiment_id": exp, "run_name": name, "start_time": nowMillis()}, &run); err != nil {
		return "", "", err
	}
	root, ok := strings.CutPrefix(run.Run.Info.ArtifactURI, "mlflow-artifacts:/")
	if !ok || run.Run.Info.RunID == "" {
		return "", "", fmt.Errorf("runs/create gave run %q with artifact_uri %q: MLflow must serve its artifacts (mlflow-artifacts:/)", run.Run.Info.RunID, run.Run.Info.ArtifactURI)
	}
	return run.Run.Info.RunID, strings.TrimLeft(root, "/"), nil
}
