package validate

import (
	"context"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/server"
)

// The audit's F4: cerberus and ml_studio share a registrar secret from
// .env, and compose refuses to start without one.
func TestComposeRegistrarSecret(t *testing.T) {
	p, generated := loadCompose(t)
	secret := generated["REGISTRAR_SECRET"]
	if len(secret) < 16 {
		t.Fatalf(".env.example's REGISTRAR_SECRET is no placeholder of at least 16 characters once generated: %q", secret)
	}
	if got := env(service(t, p, "cerberus"), "CERBERUS_REGISTRAR_SECRET"); got != secret {
		t.Errorf("CERBERUS_REGISTRAR_SECRET = %q, want .env's REGISTRAR_SECRET", got)
	}
	if got := env(service(t, p, "ml_studio"), "ML_STUDIO_REGISTRAR_SECRET"); got != secret {
		t.Errorf("ML_STUDIO_REGISTRAR_SECRET = %q, want .env's REGISTRAR_SECRET", got)
	}

	// An .env made before the secret existed stops compose, naming it.
	file, _, err := GenerateEnv(repoPath(".env.example"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(text), "\n") {
		if !strings.HasPrefix(line, "REGISTRAR_SECRET=") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(file, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadCompose(context.Background(), composeFile(), ComposeOptions{EnvFiles: []string{file}})
	if err == nil || !strings.Contains(err.Error(), "REGISTRAR_SECRET") {
		t.Errorf("loading without REGISTRAR_SECRET: %v, want a message naming it", err)
	}
}

// The audit's F5: cerberus believes ml_studio's X-Forwarded-For, and
// ml_studio believes ui's and proxy's, so login throttling counts each
// client's address. Both believe exactly the containers' pinned range: not
// the gateway, through which the host's own connections to published ports
// may come, nor anything outside.
func TestComposeTrustsOnlyItsContainers(t *testing.T) {
	for _, tt := range []struct {
		name  string
		extra string // TRUSTED_PROXIES in .env
	}{
		{"as .env.example has it", ""},
		{"with a load balancer of the operator's", "203.0.113.5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file, _, err := GenerateEnv(repoPath(".env.example"), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if tt.extra != "" {
				f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.WriteString("TRUSTED_PROXIES=" + tt.extra + "\n")
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			p, err := LoadCompose(context.Background(), composeFile(), ComposeOptions{EnvFiles: []string{file}, Profiles: []string{"*"}})
			if err != nil {
				t.Fatal(err)
			}
			network, ok := p.Networks["default"]
			if !ok || len(network.Ipam.Config) != 1 {
				t.Fatalf("the default network pins no address range: %+v", network)
			}
			pool := network.Ipam.Config[0]
			subnet, err1 := netip.ParsePrefix(pool.Subnet)
			containers, err2 := netip.ParsePrefix(pool.IPRange)
			gateway, err3 := netip.ParseAddr(pool.Gateway)
			if err1 != nil || err2 != nil || err3 != nil {
				t.Fatalf("network pool %+v: %v %v %v", pool, err1, err2, err3)
			}
			if !subnet.Contains(gateway) || !subnet.Contains(containers.Addr()) || containers.Bits() < subnet.Bits() || containers.Contains(gateway) {
				t.Errorf("pool %+v: want the containers' range and the gateway inside the subnet, the gateway outside the range", pool)
			}
			for svc, key := range map[string]string{"cerberus": "CERBERUS", "ml_studio": "ML_STUDIO"} {
				cfg := server.Config{TrustedProxies: strings.Split(env(service(t, p, svc), key+"_TRUSTED_PROXIES"), ",")}
				if err := cfg.CheckProxies(key); err != nil {
					t.Errorf("%s would not start: %v", svc, err)
				}
				want := []string{containers.String()}
				if svc == "ml_studio" && tt.extra != "" {
					want = append(want, tt.extra)
				}
				if got := cfg.Proxies(); !slices.Equal(got, want) {
					t.Errorf("%s_TRUSTED_PROXIES = %q, want %q", key, got, want)
				}
			}
		})
	}
}
