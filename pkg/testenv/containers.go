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

	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// The testcontainers-go path's images: the variables (which
// deploy/containers/testcontainers.sh sets to the images it built from
// Debian's packages and the repo's MLflow Dockerfile), else the upstream
// database images and MLflow built from deploy/docker/mlflow.Dockerfile.
const (
	EnvMySQLImage    = "ML_STUDIO_TEST_MYSQL_IMAGE"
	EnvPostgresImage = "ML_STUDIO_TEST_POSTGRES_IMAGE"
	EnvMLflowImage   = "ML_STUDIO_TEST_MLFLOW_IMAGE"
	// EnvRun is a label value put on every container and network, so that
	// the script that ran the tests can tell whether any was left behind.
	EnvRun = "ML_STUDIO_TEST_RUN"

	defaultMySQLImage    = "mysql:8.0.40"
	defaultPostgresImage = "postgres:15.10"
	dbUser               = "blendata"
	dbPassword           = "blendata"
	// Each wait, and the whole start, on a loaded 2-core machine (MLflow's
	// first start creates every table).
	startTimeout = 5 * time.Minute
)

func imageOr(env, def string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return def
}

// containers are started at most once per test binary and removed by Main
// when its tests end (Ryuk, testcontainers' reaper, is off where its image
// cannot be pulled). Package-level on purpose: a test binary is one process,
// and one set of servers serves all its tests.
var containers = &containerSet{}

// server is a running server's address and where it came from, for the log.
type server struct {
	addr, origin string
}

type mlflowEnv struct {
	postgres, mlflow server
}

type containerSet struct {
	mysqlOnce sync.Once
	mysqlSrv  server
	mysqlErr  error

	mlflowOnce sync.Once
	mlflowEnv  mlflowEnv
	mlflowErr  error

	mu       sync.Mutex
	started  []testcontainers.Container // in start order
	networks []*testcontainers.DockerNetwork
}

// Main runs a test binary's tests, then removes the containers and networks
// they started. Use it from TestMain: os.Exit(testenv.Main(m)).
func Main(m interface{ Run() int }) int {
	code := m.Run()
	if err := Terminate(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Terminate removes what the testcontainers path started, newest first.
func Terminate() error {
	return containers.terminate()
}

func (c *containerSet) track(ctr testcontainers.Container) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started = append(c.started, ctr)
}

func (c *containerSet) terminate() error {
	c.mu.Lock()
	started, networks := c.started, c.networks
	c.started, c.networks = nil, nil
	c.mu.Unlock()
	var errs []error
	for i := len(started) - 1; i >= 0; i-- {
		if err := testcontainers.TerminateContainer(started[i]); err != nil {
			errs = append(errs, fmt.Errorf("remove container %s: %w", started[i].GetContainerID(), err))
		}
	}
	for _, nw := range networks {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := nw.Remove(ctx); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", nw.Name, err))
		}
		cancel()
	}
	return errors.Join(errs...)
}

// labels mark everything the package starts, with the run's id when given.
func labels() map[string]string {
	l := map[string]string{"io.ml-studio.owner": "testenv"}
	if run := os.Getenv(EnvRun); run != "" {
		l["io.ml-studio.run"] = run
	}
	return l
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

// origin describes a started container for the log: the path, the image,
// the container and where the test reaches it.
func origin(ctr testcontainers.Container, image, addr string) string {
	id := ctr.GetContainerID()
	if len(id) > 12 {
		id = id[:12]
	}
	engine := os.Getenv("DOCKER_HOST")
	if engine == "" {
		engine = "the default Docker engine"
	}
	return fmt.Sprintf("testcontainers-go (%s, container %s at %s, via %s)", image, id, addr, engine)
}

// run starts one container and tracks it for Terminate, also when it
// started but never became ready.
func (c *containerSet) run(ctx context.Context, image string, opts ...testcontainers.ContainerCustomizer) (testcontainers.Container, error) {
	ctr, err := testcontainers.Run(ctx, image, append([]testcontainers.ContainerCustomizer{testcontainers.WithLabels(labels())}, opts...)...)
	if ctr != nil {
		c.track(ctr)
	}
	return ctr, err
}

// The MySQL of the testcontainers path: the official image or the local
// MariaDB build, which take the same variables. Tests connect as root, as
// they create a database each.
func (c *containerSet) mysql() (server, error) {
	c.mysqlOnce.Do(func() {
		ctx := context.Background()
		if c.mysqlErr = dockerAvailable(ctx); c.mysqlErr != nil {
			return
		}
		image := imageOr(EnvMySQLImage, defaultMySQLImage)
		dsn := func(addr string) string {
			return fmt.Sprintf("root:%s@tcp(%s)/?parseTime=true", dbPassword, addr)
		}
		ctr, err := c.run(ctx, image,
			testcontainers.WithEnv(map[string]string{"MYSQL_ROOT_PASSWORD": dbPassword, "MYSQL_DATABASE": "auth"}),
			testcontainers.WithExposedPorts("3306/tcp"),
			testcontainers.WithWaitStrategyAndDeadline(startTimeout, wait.ForSQL("3306/tcp", "mysql", func(host string, port network.Port) string {
				return dsn(hostPort(host, port.Port()))
			}).WithStartupTimeout(startTimeout)),
		)
		if err != nil {
			c.mysqlErr = fmt.Errorf("start MySQL container %s: %w", image, err)
			return
		}
		addr, err := mappedAddr(ctx, ctr, "3306/tcp")
		if err != nil {
			c.mysqlErr = fmt.Errorf("MySQL address: %w", err)
			return
		}
		c.mysqlSrv = server{addr: dsn(addr), origin: origin(ctr, image, addr)}
	})
	return c.mysqlSrv, c.mysqlErr
}

func hostPort(host, port string) string {
	if host == "localhost" {
		host = "127.0.0.1" // the published port listens on IPv4
	}
	return host + ":" + port
}

func mappedAddr(ctx context.Context, ctr testcontainers.Container, port string) (string, error) {
	host, err := ctr.Host(ctx)
	if err != nil {
		return "", err
	}
	p, err := ctr.MappedPort(ctx, port)
	if err != nil {
		return "", err
	}
	return hostPort(host, p.Port()), nil
}

func (c *containerSet) mlflowOnPostgres() (mlflowEnv, error) {
	c.mlflowOnce.Do(func() {
		c.mlflowEnv, c.mlflowErr = c.startMLflowOnPostgres(context.Background())
	})
	return c.mlflowEnv, c.mlflowErr
}

// PostgreSQL and MLflow on a network of their own, MLflow reaching the
// database by its alias pg-db as in docker-compose.yml.
func (c *containerSet) startMLflowOnPostgres(ctx context.Context) (mlflowEnv, error) {
	if err := dockerAvailable(ctx); err != nil {
		return mlflowEnv{}, err
	}
	nw, err := tcnetwork.New(ctx, tcnetwork.WithLabels(labels()))
	if err != nil {
		return mlflowEnv{}, fmt.Errorf("create network: %w", err)
	}
	c.mu.Lock()
	c.networks = append(c.networks, nw)
	c.mu.Unlock()

	pgImage := imageOr(EnvPostgresImage, defaultPostgresImage)
	pgURL := func(addr string) string {
		return fmt.Sprintf("postgres://%s:%s@%s/mlflow?sslmode=disable", dbUser, dbPassword, addr)
	}
	pg, err := c.run(ctx, pgImage,
		testcontainers.WithEnv(map[string]string{"POSTGRES_DB": "mlflow", "POSTGRES_USER": dbUser, "POSTGRES_PASSWORD": dbPassword}),
		testcontainers.WithExposedPorts("5432/tcp"),
		tcnetwork.WithNetwork([]string{"pg-db"}, nw),
		testcontainers.WithWaitStrategyAndDeadline(startTimeout, wait.ForSQL("5432/tcp", "pgx", func(host string, port network.Port) string {
			return pgURL(hostPort(host, port.Port()))
		}).WithStartupTimeout(startTimeout)),
	)
	if err != nil {
		return mlflowEnv{}, fmt.Errorf("start PostgreSQL container %s: %w", pgImage, err)
	}
	pgAddr, err := mappedAddr(ctx, pg, "5432/tcp")
	if err != nil {
		return mlflowEnv{}, fmt.Errorf("PostgreSQL address: %w", err)
	}

	mlflowImage := os.Getenv(EnvMLflowImage)
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithEnv(map[string]string{
			"MLFLOW_BACKEND_STORE_URI": fmt.Sprintf("postgresql://%s:%s@pg-db:5432/mlflow", dbUser, dbPassword),
		}),
		testcontainers.WithExposedPorts("5050/tcp"),
		tcnetwork.WithNetwork([]string{"mlflow"}, nw),
		// The first start on an empty database runs every migration.
		testcontainers.WithWaitStrategyAndDeadline(startTimeout, wait.ForHTTP("/health").WithPort("5050/tcp").WithStartupTimeout(startTimeout)),
	}
	shown := mlflowImage
	if mlflowImage == "" {
		root, err := repoRoot()
		if err != nil {
			return mlflowEnv{}, err
		}
		opts = append(opts, testcontainers.WithDockerfile(testcontainers.FromDockerfile{
			Context:    root,
			Dockerfile: "deploy/docker/mlflow.Dockerfile",
			KeepImage:  true,
		}))
		shown = "built from deploy/docker/mlflow.Dockerfile"
	}
	mlf, err := c.run(ctx, mlflowImage, opts...)
	if err != nil {
		return mlflowEnv{}, fmt.Errorf("start MLflow container (%s): %w", shown, err)
	}
	mlAddr, err := mappedAddr(ctx, mlf, "5050/tcp")
	if err != nil {
		return mlflowEnv{}, fmt.Errorf("MLflow address: %w", err)
	}
	return mlflowEnv{
		postgres: server{addr: pgURL(pgAddr), origin: origin(pg, pgImage, pgAddr)},
		mlflow:   server{addr: "http://" + mlAddr, origin: origin(mlf, shown, mlAddr) + ", on " + pgImage},
	}, nil
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
