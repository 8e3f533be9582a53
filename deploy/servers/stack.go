//go:build linux

package servers

import (
	"context"
	"path/filepath"
	"strconv"
	"time"
)

// Stack is what the services of one run share: their binaries, database,
// MLflow, first admin and registrar secret, and the folder of their logs.
type Stack struct {
	Dir           string
	Bin           Binaries
	DSN           string // CERBERUS_DATABASE_DSN
	MLflowURL     string
	AdminPassword string
	Registrar     string
}

// Service is a cerberus or an ml_studio of the stack.
type Service struct {
	*Proc
	Port int
	URL  string
}

// service is bin on a free port, which the variable portKey names.
func (s *Stack) service(name, bin, portKey string, env []string) (*Service, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	env = append([]string{portKey + "=" + strconv.Itoa(port)}, env...)
	return &Service{Proc: NewProc(name, bin, filepath.Join(s.Dir, name+".log"), env...), Port: port, URL: "http://127.0.0.1:" + strconv.Itoa(port)}, nil
}

// Cerberus is a cerberus on the stack's database and a free port (not
// started yet); extra settings come last and win.
func (s *Stack) Cerberus(name string, extra ...string) (*Service, error) {
	env := []string{
		"CERBERUS_DATABASE_DSN=" + s.DSN,
		"CERBERUS_ADMIN_USERNAME=admin",
		"CERBERUS_ADMIN_PASSWORD=" + s.AdminPassword,
		"CERBERUS_REGISTRAR_SECRET=" + s.Registrar,
		"CERBERUS_BCRYPT_COST=4", // tests and benchmarks sign many users in
	}
	return s.service(name, s.Bin.Cerberus, "CERBERUS_PORT", append(env, extra...))
}

// Studio is an ml_studio in front of the cerberus at cerberusURL and the
// stack's MLflow, on a free port (not started yet).
func (s *Stack) Studio(name, cerberusURL string, extra ...string) (*Service, error) {
	env := []string{
		"ML_STUDIO_CERBERUS_URL=" + cerberusURL,
		"ML_STUDIO_MLFLOW_URL=" + s.MLflowURL,
		"ML_STUDIO_REGISTRAR_SECRET=" + s.Registrar,
	}
	return s.service(name, s.Bin.Studio, "ML_STUDIO_PORT", append(env, extra...))
}

// StartReady starts the service and waits until its /readyz answers 200.
func (sv *Service) StartReady(ctx context.Context, timeout time.Duration) error {
	if err := sv.Start(); err != nil {
		return err
	}
	return WaitOK(ctx, sv.URL+"/readyz", timeout, sv.Proc)
}
