package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcmysql "github.com/testcontainers/testcontainers-go/modules/mysql"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Images of the Docker path; MLflow is built from the repo's own Dockerfile
// so it runs the same pinned version as `make run`.
const (
	mysqlImage    = "mysql:8.0.40"
	postgresImage = "postgres:15.10"
	dbUser        = "blendata"
	dbPassword    = "blendata"
)

// containers are started at most once per test binary and reaped by
// testcontainers' Ryuk when the process ends. Package-level on purpose: a
// test binary is one process, and one set of servers serves all its tests.
var containers = &containerSet{}

type mlflowEnv struct {
	postgresDSN string
	mlflowURL   string
}

type containerSet struct {
	mysqlOnce sync.Once
	mysqlDSN  string
	mysqlErr  error

	mlflowOnce sync.Once
	mlflowEnv  mlflowEnv
	mlflowErr  error
}

// dockerAvailable asks the engine for a health answer, briefly.
func dockerAvailable(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil { // testcontainers panics when no engine is configured
			err = fmt.Errorf("no Docker engine: %v", r)
		}
	}()
	provider, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return fmt.Errorf("no Docker engine: %w", err)
	}
	defer func() { _ = provider.Close() }()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := provider.Health(ctx); err != nil {
		return fmt.Errorf("no Docker engine: %w", err)
	}
	return nil
}

func (c *containerSet) mysql() (string, error) {
	c.mysqlOnce.Do(func() {
		ctx := context.Background()
		if c.mysqlErr = dockerAvailable(ctx); c.mysqlErr != nil {
			return
		}
		ctr, err := tcmysql.Run(ctx, mysqlImage,
			tcmysql.WithDatabase("auth"),
			tcmysql.WithUsername("root"), // tests create a database each
			tcmysql.WithPassword(dbPassword),
		)
		if err != nil {
			c.mysqlErr = fmt.Errorf("start MySQL container: %w", err)
			return
		}
		c.mysqlDSN, c.mysqlErr = ctr.ConnectionString(ctx, "parseTime=true")
	})
	return c.mysqlDSN, c.mysqlErr
}

func (c *containerSet) mlflowOnPostgres() (mlflowEnv, error) {
	c.mlflowOnce.Do(func() {
		c.mlflowEnv, c.mlflowErr = startMLflowOnPostgres(context.Background())
	})
	return c.mlflowEnv, c.mlflowErr
}

func startMLflowOnPostgres(ctx context.Context) (mlflowEnv, error) {
	if err := dockerAvailable(ctx); err != nil {
		return mlflowEnv{}, err
	}
	nw, err := network.New(ctx)
	if err != nil {
		return mlflowEnv{}, fmt.Errorf("create network: %w", err)
	}
	pg, err := tcpostgres.Run(ctx, postgresImage,
		tcpostgres.WithDatabase("mlflow"),
		tcpostgres.WithUsername(dbUser),
		tcpostgres.WithPassword(dbPassword),
		tcpostgres.BasicWaitStrategies(),
		network.WithNetwork([]string{"pg-db"}, nw),
	)
	if err != nil {
		return mlflowEnv{}, fmt.Errorf("start PostgreSQL container: %w", err)
	}
	pgDSN, err := pg.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		return mlflowEnv{}, fmt.Errorf("PostgreSQL address: %w", err)
	}
	root, err := repoRoot()
	if err != nil {
		return mlflowEnv{}, err
	}
	mlf, err := testcontainers.Run(ctx, "",
		testcontainers.WithDockerfile(testcontainers.FromDockerfile{
			Context:    root,
			Dockerfile: "deploy/docker/mlflow.Dockerfile",
			KeepImage:  true,
		}),
		testcontainers.WithEnv(map[string]string{
			"MLFLOW_BACKEND_STORE_URI": fmt.Sprintf("postgresql://%s:%s@pg-db:5432/mlflow", dbUser, dbPassword),
		}),
		testcontainers.WithExposedPorts("5050/tcp"),
		network.WithNetwork([]string{"mlflow"}, nw),
		testcontainers.WithWaitStrategyAndDeadline(5*time.Minute, wait.ForHTTP("/health").WithPort("5050/tcp")),
	)
	if err != nil {
		return mlflowEnv{}, fmt.Errorf("start MLflow container: %w", err)
	}
	endpoint, err := mlf.PortEndpoint(ctx, "5050/tcp", "http")
	if err != nil {
		return mlflowEnv{}, fmt.Errorf("MLflow address: %w", err)
	}
	return mlflowEnv{postgresDSN: pgDSN, mlflowURL: endpoint}, nil
}

// repoRoot is the folder holding go.work, found from this source file.
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the repository")
	}
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.work not found above " + filepath.Dir(file))
		}
		dir = parent
	}
}
