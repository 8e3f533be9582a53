package validate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/ml-studio/ml-studio/pkg/server"
)

// envOf is a Deployment's first container's variable name, or nil.
func envOf(r rendered, deploy, name string) *corev1.EnvVar {
	d := r.deployments[release+"-"+deploy]
	if d == nil {
		return nil
	}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == name {
			return &e
		}
	}
	return nil
}

// The audit's F4: cerberus and ml_studio read one registrar secret from a
// Kubernetes Secret: generated, given in values, or the operator's own.
func TestHelmRegistrarSecret(t *testing.T) {
	helm := helmBin(t)
	tests := []struct {
		name        string
		set         []string
		secret, key string // the Secret both read
		value       string // its value when the chart makes it; "" when generated
		rendered    bool   // the chart makes that Secret
	}{
		{"generated", nil, "ml-studio-registrar", "registrar-secret", "", true},
		{"given in values", []string{"registrar.secret=a-registrar-secret-given"}, "ml-studio-registrar", "registrar-secret", "a-registrar-secret-given", true},
		{"the operator's Secret", []string{"registrar.existingSecret=ops-registrar", "registrar.existingSecretKey=token"}, "ops-registrar", "token", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := index(t, render(t, helm, scenario{name: tt.name, set: tt.set}))
			for deploy, name := range map[string]string{"cerberus": "CERBERUS_REGISTRAR_SECRET", "ml-studio": "ML_STUDIO_REGISTRAR_SECRET"} {
				e := envOf(r, deploy, name)
				if e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
					t.Errorf("%s: %s does not come from a Secret: %+v", deploy, name, e)
					continue
				}
				if ref := e.ValueFrom.SecretKeyRef; ref.Name != tt.secret || ref.Key != tt.key {
					t.Errorf("%s: %s from Secret %s key %s, want %s key %s", deploy, name, ref.Name, ref.Key, tt.secret, tt.key)
				}
			}
			sec, ok := r.secrets[tt.secret]
			if ok != tt.rendered {
				t.Fatalf("Secret %s rendered: %v, want %v", tt.secret, ok, tt.rendered)
			}
			if !ok {
				return
			}
			v := sec.StringData[tt.key]
			if len(v) < 16 || (tt.value != "" && v != tt.value) {
				t.Errorf("Secret %s %s = %q, want %q or 16+ generated characters", tt.secret, tt.key, v, tt.value)
			}
			for _, name := range []string{"ml-studio", "cerberus"} {
				if d := r.deployments[release+"-"+name]; d.Spec.Template.Annotations["checksum/secrets"] == "" {
					t.Errorf("%s pods do not roll when the secret changes (no checksum/secrets)", name)
				}
			}
		})
	}
	_, err := HelmTemplate(helm, chartDir(), release, namespace, "--kube-version", kubeVersion, "--set", "registrar.secret=short")
	if err == nil || !strings.Contains(err.Error(), "registrar.secret must be at least 16 characters") {
		t.Errorf("a short registrar.secret: %v, want a render error", err)
	}
}

// The audit's F5: cerberus believes ml_studio's X-Forwarded-For and
// ml_studio the ui's and the ingress controller's, from trustedProxies
// unless a service's env says otherwise; what they get must start them.
func TestHelmTrustedProxies(t *testing.T) {
	helm := helmBin(t)
	tests := []struct {
		name               string
		set                []string
		cerberus, mlStudio string
	}{
		{"defaults: the private ranges", nil, "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16", "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"},
		{"the cluster's pod CIDR", []string{"trustedProxies=10.244.0.0/16"}, "10.244.0.0/16", "10.244.0.0/16"},
		{"a service's own setting wins", []string{"trustedProxies=10.244.0.0/16", "mlStudio.env.ML_STUDIO_TRUSTED_PROXIES=10.96.5.0/24"}, "10.244.0.0/16", "10.96.5.0/24"},
		{"none believed", []string{"trustedProxies="}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := index(t, render(t, helm, scenario{name: tt.name, set: tt.set}))
			for cm, want := range map[string]string{"cerberus": tt.cerberus, "ml-studio": tt.mlStudio} {
				c := r.configMaps[release+"-"+cm]
				if c == nil {
					t.Fatalf("no ConfigMap %s-%s", release, cm)
				}
				prefix := strings.ToUpper(strings.ReplaceAll(cm, "-", "_"))
				got, ok := c.Data[prefix+"_TRUSTED_PROXIES"]
				if !ok || got != want {
					t.Errorf("%s_TRUSTED_PROXIES = %q (set: %v), want %q", prefix, got, ok, want)
				}
				if err := (server.Config{TrustedProxies: strings.Split(got, ",")}).CheckProxies(prefix); err != nil {
					t.Errorf("%s would not start: %v", cm, err)
				}
			}
		})
	}
}
