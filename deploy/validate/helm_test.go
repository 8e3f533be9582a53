package validate

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
)

const (
	release   = "ml-studio"
	namespace = "ml"
	// Rendered for one Kubernetes version, whatever helm's default.
	kubeVersion = "1.33.0"
)

func chartDir() string { return repoPath("deploy", "helm", "ml-studio") }

func helmBin(t *testing.T) string {
	t.Helper()
	return tool(t, "HELM", "bin/tools/helm-v*", "helm")
}

// scenario is one set of values the chart must render into valid manifests.
type scenario struct {
	name string
	// values are files under the chart (helm template -f), set are --set.
	values []string
	set    []string
	// Secrets the pods may reference without the chart making them.
	external []string
}

var scenarios = []scenario{
	{name: "defaults", external: []string{"ml-studio-db"}},
	{name: "three ml_studio replicas", set: []string{"mlStudio.replicas=3"}, external: []string{"ml-studio-db"}},
	{name: "fixed replicas, no autoscaler", set: []string{
		"mlStudio.autoscaling.enabled=false", "mlStudio.replicas=3",
		"cerberus.autoscaling.enabled=false", "cerberus.replicas=1",
	}, external: []string{"ml-studio-db"}},
	{name: "in-cluster databases, ingress, admin password", set: []string{
		"mysql.enabled=true", "postgresql.enabled=true",
		"ingress.enabled=true", "ingress.className=nginx", "ingress.host=ml.example.com",
		"ingress.tls[0].secretName=ml-tls", "ingress.tls[0].hosts[0]=ml.example.com",
		"cerberus.admin.password=a-long-admin-password",
		"image.registry=registry.example.com/ml/", "image.tag=1.2.3",
		"mlflow.artifacts.persistence.enabled=false",
	}},
	{name: "external strings in values", set: []string{
		"externalDatabase.existingSecret=",
		"externalDatabase.cerberusDsn=mysql://blendata:pw@mysql.example.com:3306/auth",
		"externalDatabase.mlflowBackendStoreUri=postgresql://blendata:pw@pg.example.com:5432/mlflow",
		"cerberus.admin.existingSecret=admin-secret",
		"mlflow.artifacts.persistence.existingClaim=artifacts",
	}, external: []string{"admin-secret"}},
	{name: "the operator's registrar secret, the cluster's pod CIDR", set: []string{
		"registrar.existingSecret=ops-registrar", "trustedProxies=10.244.0.0/16",
	}, external: []string{"ml-studio-db", "ops-registrar"}},
	{name: "no network policies", set: []string{"networkPolicy.enabled=false"}, external: []string{"ml-studio-db"}},
	{name: "ci/in-cluster-values.yaml", values: []string{"ci/in-cluster-values.yaml"}},
	{name: "ci/production-values.yaml", values: []string{"ci/production-values.yaml"}, external: []string{"prod-db", "prod-registrar"}},
}

func setArgs(set []string) []string {
	var args []string
	for _, s := range set {
		args = append(args, "--set", s)
	}
	return args
}

// args are a scenario's helm arguments: its values files, then its --set.
func (s scenario) args() []string {
	var args []string
	for _, f := range s.values {
		args = append(args, "-f", filepath.Join(chartDir(), f))
	}
	return append(args, setArgs(s.set)...)
}

func render(t *testing.T, helm string, s scenario) []Manifest {
	t.Helper()
	out, err := HelmTemplate(helm, chartDir(), release, namespace, append([]string{"--kube-version", kubeVersion}, s.args()...)...)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := DecodeManifests(out)
	if err != nil {
		t.Fatalf("strict decoding of the rendered chart:\n%v", err)
	}
	if len(ms) == 0 {
		t.Fatal("nothing rendered")
	}
	return ms
}

func TestHelmLint(t *testing.T) {
	helm := helmBin(t)
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			args := append([]string{"lint", "--strict", chartDir(), "--namespace", namespace, "--kube-version", kubeVersion}, s.args()...)
			out, err := exec.Command(helm, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}

// A missing connection string is an error at render time, with a message.
func TestHelmRequiresTheDatabaseStrings(t *testing.T) {
	helm := helmBin(t)
	_, err := HelmTemplate(helm, chartDir(), release, namespace, "--kube-version", kubeVersion, "--set", "externalDatabase.existingSecret=")
	if err == nil || !strings.Contains(err.Error(), "externalDatabase.cerberusDsn") {
		t.Fatalf("render without any database string: %v, want the required message", err)
	}
	// One in-cluster database needs only the other's string.
	if _, err := HelmTemplate(helm, chartDir(), release, namespace, "--kube-version", kubeVersion,
		"--set", "externalDatabase.existingSecret=", "--set", "mysql.enabled=true",
		"--set", "externalDatabase.mlflowBackendStoreUri=postgresql://u:p@h:5432/mlflow"); err != nil {
		t.Fatal(err)
	}
}

// rendered indexes one scenario's objects.
type rendered struct {
	deployments  map[string]*appsv1.Deployment
	statefulSets map[string]*appsv1.StatefulSet
	services     map[string]*corev1.Service
	configMaps   map[string]*corev1.ConfigMap
	secrets      map[string]*corev1.Secret
	claims       map[string]*corev1.PersistentVolumeClaim
	hpas         map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs         map[string]*policyv1.PodDisruptionBudget
	ingresses    map[string]*networkingv1.Ingress
	policies     map[string]*networkingv1.NetworkPolicy
	accounts     map[string]*corev1.ServiceAccount
}

func index(t *testing.T, ms []Manifest) rendered {
	r := rendered{
		deployments: map[string]*appsv1.Deployment{}, statefulSets: map[string]*appsv1.StatefulSet{},
		services: map[string]*corev1.Service{}, configMaps: map[string]*corev1.ConfigMap{},
		secrets: map[string]*corev1.Secret{}, claims: map[string]*corev1.PersistentVolumeClaim{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
		ingresses: map[string]*networkingv1.Ingress{}, accounts: map[string]*corev1.ServiceAccount{},
		policies: map[string]*networkingv1.NetworkPolicy{},
	}
	seen := map[string]bool{}
	for _, m := range ms {
		key := m.GVK.Kind + "/" + m.Name
		if seen[key] {
			t.Errorf("%s rendered twice", key)
		}
		seen[key] = true
		switch o := m.Object.(type) {
		case *appsv1.Deployment:
			r.deployments[m.Name] = o
		case *appsv1.StatefulSet:
			r.statefulSets[m.Name] = o
		case *corev1.Service:
			r.services[m.Name] = o
		case *corev1.ConfigMap:
			r.configMaps[m.Name] = o
		case *corev1.Secret:
			r.secrets[m.Name] = o
		case *corev1.PersistentVolumeClaim:
			r.claims[m.Name] = o
		case *autoscalingv2.HorizontalPodAutoscaler:
			r.hpas[m.Name] = o
		case *policyv1.PodDisruptionBudget:
			r.pdbs[m.Name] = o
		case *networkingv1.Ingress:
			r.ingresses[m.Name] = o
		case *networkingv1.NetworkPolicy:
			r.policies[m.Name] = o
		case *corev1.ServiceAccount:
			r.accounts[m.Name] = o
		default:
			t.Errorf("%s: unexpected kind %s", m.Source, m.GVK)
		}
		if o, ok := m.Object.(interface{ GetNamespace() string }); ok && o.GetNamespace() != "" && o.GetNamespace() != namespace {
			t.Errorf("%s sets namespace %q", key, o.GetNamespace())
		}
	}
	return r
}

// workload is a Deployment's or StatefulSet's pod template.
type workload struct {
	kind, name string
	selector   map[string]string
	pod        corev1.PodTemplateSpec
	claims     []string
}

func (r rendered) workloads() []workload {
	var ws []workload
	for n, d := range r.deployments {
		ws = append(ws, workload{"Deployment", n, d.Spec.Selector.MatchLabels, d.Spec.Template, nil})
	}
	for n, s := range r.statefulSets {
		var claims []string
		for _, c := range s.Spec.VolumeClaimTemplates {
			claims = append(claims, c.Name)
		}
		ws = append(ws, workload{"StatefulSet", n, s.Spec.Selector.MatchLabels, s.Spec.Template, claims})
	}
	slices.SortFunc(ws, func(a, b workload) int { return strings.Compare(a.name, b.name) })
	return ws
}

func TestHelmTemplateRendersValidManifests(t *testing.T) {
	helm := helmBin(t)
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			r := index(t, render(t, helm, s))
			checkWorkloads(t, r, s)
			checkServices(t, r)
			checkScaling(t, r)
			checkIngress(t, r)
			checkWiring(t, r)
		})
	}
}

func checkWorkloads(t *testing.T, r rendered, s scenario) {
	for _, w := range r.workloads() {
		id := w.kind + "/" + w.name
		sel := labels.SelectorFromSet(w.selector)
		if len(w.selector) == 0 || !sel.Matches(labels.Set(w.pod.Labels)) {
			t.Errorf("%s: selector %v does not match its pods' labels %v", id, w.selector, w.pod.Labels)
		}
		p := w.pod.Spec
		if p.AutomountServiceAccountToken == nil || *p.AutomountServiceAccountToken {
			t.Errorf("%s: mounts a ServiceAccount token", id)
		}
		if p.EnableServiceLinks == nil || *p.EnableServiceLinks {
			t.Errorf("%s: service links on (they set *_PORT=tcp://... variables)", id)
		}
		if _, ok := r.accounts[p.ServiceAccountName]; !ok {
			t.Errorf("%s: ServiceAccount %q is not rendered", id, p.ServiceAccountName)
		}
		psc := p.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
			t.Errorf("%s: pod securityContext must set runAsNonRoot and a non-zero runAsUser: %+v", id, psc)
		}
		podSeccomp := psc != nil && psc.SeccompProfile != nil && psc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault
		volumes := map[string]corev1.Volume{}
		for _, v := range p.Volumes {
			volumes[v.Name] = v
		}
		for _, c := range append(p.InitContainers, p.Containers...) {
			cid := id + " container " + c.Name
			sc := c.SecurityContext
			switch {
			case sc == nil:
				t.Errorf("%s: no securityContext", cid)
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Errorf("%s: privilege escalation allowed", cid)
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Errorf("%s: root filesystem writable", cid)
			case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0:
				t.Errorf("%s: capabilities not all dropped: %+v", cid, sc.Capabilities)
			case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
				t.Errorf("%s: runAsNonRoot not set", cid)
			case sc.Privileged != nil && *sc.Privileged:
				t.Errorf("%s: privileged", cid)
			case sc.SeccompProfile != nil && sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault,
				sc.SeccompProfile == nil && !podSeccomp:
				t.Errorf("%s: seccomp profile %+v, want RuntimeDefault", cid, sc.SeccompProfile)
			}
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if _, ok := c.Resources.Requests[res]; !ok {
					t.Errorf("%s: no %s request", cid, res)
				}
				if _, ok := c.Resources.Limits[res]; !ok {
					t.Errorf("%s: no %s limit", cid, res)
				}
			}
			if err := CheckPinned(c.Image); err != nil {
				t.Errorf("%s: image %v", cid, err)
			}
			tmp := false
			for _, m := range c.VolumeMounts {
				_, isVolume := volumes[m.Name]
				if !isVolume && !slices.Contains(w.claims, m.Name) {
					t.Errorf("%s: mounts %q, which is no volume of the pod", cid, m.Name)
				}
				tmp = tmp || m.MountPath == "/tmp"
			}
			if !tmp {
				t.Errorf("%s: no writable /tmp (the root filesystem is read-only)", cid)
			}
			if c.ReadinessProbe == nil || c.LivenessProbe == nil {
				t.Errorf("%s: needs liveness and readiness probes", cid)
			}
			checkProbePorts(t, cid, c)
			checkEnvOrder(t, cid, c)
			checkRefs(t, r, s, cid, c)
		}
	}
	for _, name := range []string{"cerberus", "ml-studio"} {
		d := r.deployments[release+"-"+name]
		if d == nil {
			t.Errorf("no Deployment %s-%s", release, name)
			continue
		}
		c := d.Spec.Template.Spec.Containers[0]
		if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
			t.Errorf("%s: liveness must GET /healthz", name)
		}
		if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" {
			t.Errorf("%s: readiness must GET /readyz", name)
		}
	}
	for _, name := range []string{"cerberus", "ml-studio", "ui", "mlflow"} {
		if r.deployments[release+"-"+name] == nil {
			t.Errorf("no Deployment %s-%s", release, name)
		}
	}
}

func checkProbePorts(t *testing.T, cid string, c corev1.Container) {
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for _, p := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
		if p == nil {
			continue
		}
		var port string
		switch {
		case p.HTTPGet != nil:
			port = p.HTTPGet.Port.String()
		case p.TCPSocket != nil:
			port = p.TCPSocket.Port.String()
		default:
			continue
		}
		if _, ok := ports[port]; !ok {
			t.Errorf("%s: probe port %q is none of the container's ports %v", cid, port, ports)
		}
	}
}

// $(VAR) in an env value expands only variables defined before it.
func checkEnvOrder(t *testing.T, cid string, c corev1.Container) {
	defined := map[string]bool{}
	for _, e := range c.Env {
		for _, part := range strings.Split(e.Value, "$(")[1:] {
			ref, _, ok := strings.Cut(part, ")")
			if ok && !defined[ref] {
				t.Errorf("%s: %s uses $(%s) before it is defined", cid, e.Name, ref)
			}
		}
		defined[e.Name] = true
	}
}

// Every ConfigMap and Secret a container reads is rendered, or is one the
// operator provides (listed by the scenario).
func checkRefs(t *testing.T, r rendered, s scenario, cid string, c corev1.Container) {
	secret := func(name, key string) {
		if sec, ok := r.secrets[name]; ok {
			if _, ok := sec.StringData[key]; !ok {
				t.Errorf("%s: Secret %s has no key %s", cid, name, key)
			}
			return
		}
		if !slices.Contains(s.external, name) {
			t.Errorf("%s: reads Secret %s, which is neither rendered nor expected from the operator", cid, name)
		}
	}
	for _, e := range c.EnvFrom {
		if e.ConfigMapRef != nil {
			if _, ok := r.configMaps[e.ConfigMapRef.Name]; !ok {
				t.Errorf("%s: ConfigMap %s is not rendered", cid, e.ConfigMapRef.Name)
			}
		}
		if e.SecretRef != nil {
			secret(e.SecretRef.Name, "")
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			continue
		}
		if ref := e.ValueFrom.SecretKeyRef; ref != nil {
			secret(ref.Name, ref.Key)
		}
		if ref := e.ValueFrom.ConfigMapKeyRef; ref != nil {
			if cm, ok := r.configMaps[ref.Name]; !ok {
				t.Errorf("%s: ConfigMap %s is not rendered", cid, ref.Name)
			} else if _, ok := cm.Data[ref.Key]; !ok {
				t.Errorf("%s: ConfigMap %s has no key %s", cid, ref.Name, ref.Key)
			}
		}
	}
	for _, s := range r.secrets {
		for k, v := range s.StringData {
			if v == "" {
				t.Errorf("Secret %s: %s is empty", s.Name, k)
			}
		}
	}
}

// Each Service selects pods of one workload, on a port they name.
func checkServices(t *testing.T, r rendered) {
	for name, svc := range r.services {
		var matched []workload
		for _, w := range r.workloads() {
			if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(w.pod.Labels)) {
				matched = append(matched, w)
			}
		}
		if len(svc.Spec.Selector) == 0 || len(matched) != 1 {
			t.Errorf("Service %s selects %d workloads, want 1", name, len(matched))
			continue
		}
		for _, p := range svc.Spec.Ports {
			found := false
			for _, c := range matched[0].pod.Spec.Containers {
				for _, cp := range c.Ports {
					found = found || cp.Name == p.TargetPort.String() || fmt.Sprint(cp.ContainerPort) == p.TargetPort.String()
				}
			}
			if !found {
				t.Errorf("Service %s: targetPort %s is no port of %s", name, p.TargetPort.String(), matched[0].name)
			}
		}
	}
	for svc, port := range map[string]int32{"cerberus": 5000, "ml-studio": 5001, "mlflow": 5050, "ui": 3000} {
		s := r.services[release+"-"+svc]
		if s == nil || len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Port != port {
			t.Errorf("Service %s-%s must serve port %d", release, svc, port)
		}
	}
}

func checkScaling(t *testing.T, r rendered) {
	for name, h := range r.hpas {
		d, ok := r.deployments[h.Spec.ScaleTargetRef.Name]
		if !ok || h.Spec.ScaleTargetRef.Kind != "Deployment" {
			t.Errorf("HPA %s scales %s/%s, which is not rendered", name, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
			continue
		}
		if d.Spec.Replicas != nil {
			t.Errorf("Deployment %s sets replicas although HPA %s owns them", d.Name, name)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			t.Errorf("HPA %s: min %v max %d", name, h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
	}
	for name, p := range r.pdbs {
		sel := labels.SelectorFromSet(p.Spec.Selector.MatchLabels)
		n := 0
		for _, w := range r.workloads() {
			if sel.Matches(labels.Set(w.pod.Labels)) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("PDB %s selects %d workloads, want 1", name, n)
		}
	}
}

func checkIngress(t *testing.T, r rendered) {
	for name, ing := range r.ingresses {
		for _, rule := range ing.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				b := p.Backend.Service
				if b == nil {
					t.Errorf("Ingress %s %s: no service backend", name, p.Path)
					continue
				}
				svc, ok := r.services[b.Name]
				if !ok {
					t.Errorf("Ingress %s %s: Service %s is not rendered", name, p.Path, b.Name)
					continue
				}
				if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == b.Port.Name }) {
					t.Errorf("Ingress %s %s: Service %s has no port %q", name, p.Path, b.Name, b.Port.Name)
				}
				if b.Name == release+"-mlflow" {
					t.Errorf("Ingress %s exposes MLflow itself (no access control)", name)
				}
			}
		}
	}
}

// The services find each other under the names the chart gives them.
func checkWiring(t *testing.T, r rendered) {
	cm := func(n string) map[string]string {
		if c := r.configMaps[release+"-"+n]; c != nil {
			return c.Data
		}
		t.Fatalf("no ConfigMap %s-%s", release, n)
		return nil
	}
	hostOf := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return u.Hostname()
	}
	ml := cm("ml-studio")
	if h := hostOf(ml["ML_STUDIO_CERBERUS_URL"]); r.services[h] == nil {
		t.Errorf("ML_STUDIO_CERBERUS_URL %q names no Service", ml["ML_STUDIO_CERBERUS_URL"])
	}
	if h := hostOf(ml["ML_STUDIO_MLFLOW_URL"]); r.services[h] == nil {
		t.Errorf("ML_STUDIO_MLFLOW_URL %q names no Service", ml["ML_STUDIO_MLFLOW_URL"])
	}
	if ml["ML_STUDIO_HOST"] != "0.0.0.0" || ml["ML_STUDIO_DECISION_CACHE"] == "" {
		t.Errorf("ml_studio ConfigMap: %v", ml)
	}
	if c := cm("cerberus"); c["CERBERUS_HOST"] != "0.0.0.0" {
		t.Errorf("cerberus must listen on 0.0.0.0: %v", c)
	}
	mlflowSvc := release + "-mlflow"
	allowed := strings.Split(cm("mlflow")["MLFLOW_SERVER_ALLOWED_HOSTS"], ",")
	for _, want := range []string{mlflowSvc, mlflowSvc + ":*", mlflowSvc + "." + namespace + ".svc.cluster.local:*", "localhost:*"} {
		if !slices.Contains(allowed, want) {
			t.Errorf("MLFLOW_SERVER_ALLOWED_HOSTS lacks %q: %v", want, allowed)
		}
	}
	if ttl := cm("mlflow")["MLFLOW_SERVER_SECRETS_CACHE_TTL"]; ttl != "10" {
		t.Errorf("MLFLOW_SERVER_SECRETS_CACHE_TTL = %q, want 10", ttl)
	}
	// The AI gateway's secrets are encrypted with a passphrase of a Secret,
	// kept when the release goes (the stored secrets need it).
	kek := false
	for _, e := range r.deployments[mlflowSvc].Spec.Template.Spec.Containers[0].Env {
		if e.Name != "MLFLOW_CRYPTO_KEK_PASSPHRASE" {
			continue
		}
		kek = true
		ref := e.ValueFrom
		if e.Value != "" || ref == nil || ref.SecretKeyRef == nil {
			t.Errorf("MLFLOW_CRYPTO_KEK_PASSPHRASE must come from a Secret: %+v", e)
		} else if sec := r.secrets[ref.SecretKeyRef.Name]; sec != nil &&
			(sec.Annotations["helm.sh/resource-policy"] != "keep" || len(sec.StringData[ref.SecretKeyRef.Key]) < 32) {
			t.Errorf("Secret %s: want helm.sh/resource-policy keep and a passphrase of 32+ characters", sec.Name)
		}
	}
	if !kek {
		t.Errorf("MLflow has no MLFLOW_CRYPTO_KEK_PASSPHRASE: it would use its built-in one")
	}
	ui := cm("ui")
	for _, k := range []string{"UI_ML_STUDIO_URL"} {
		host, _, _ := strings.Cut(strings.TrimPrefix(ui[k], "http://"), ".")
		if r.services[host] == nil || !strings.Contains(ui[k], ".svc.cluster.local:") {
			t.Errorf("%s = %q: want a rendered Service's fully qualified name", k, ui[k])
		}
	}
}

// --set mlStudio.replicas=3 reaches the autoscaler's minimum, or the
// Deployment when the autoscaler is off.
func TestHelmReplicas(t *testing.T) {
	helm := helmBin(t)
	r := index(t, render(t, helm, scenarios[1]))
	h := r.hpas[release+"-ml-studio"]
	if h == nil || *h.Spec.MinReplicas != 3 {
		t.Errorf("HPA of ml-studio: %+v, want minReplicas 3", h)
	}
	r = index(t, render(t, helm, scenarios[2]))
	if d := r.deployments[release+"-ml-studio"]; d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("ml-studio replicas %v, want 3", d.Spec.Replicas)
	}
	if _, ok := r.pdbs[release+"-cerberus"]; ok {
		t.Errorf("a PDB for a single cerberus pod would block node drains")
	}
	if _, ok := r.pdbs[release+"-ml-studio"]; !ok {
		t.Errorf("no PDB for 3 ml-studio pods")
	}
	d := index(t, render(t, helm, scenarios[0]))
	if h := d.hpas[release+"-ml-studio"]; h == nil || *h.Spec.MinReplicas != 2 {
		t.Errorf("default ml-studio HPA minimum: want 2")
	}
}

// In-cluster databases: the DSNs are assembled from their Secrets' passwords.
func TestHelmInClusterDatabases(t *testing.T) {
	helm := helmBin(t)
	r := index(t, render(t, helm, scenarios[3]))
	env := func(deploy, name string) corev1.EnvVar {
		for _, e := range r.deployments[release+"-"+deploy].Spec.Template.Spec.Containers[0].Env {
			if e.Name == name {
				return e
			}
		}
		t.Fatalf("%s has no %s", deploy, name)
		return corev1.EnvVar{}
	}
	if got := env("cerberus", "CERBERUS_DATABASE_DSN").Value; got != "mysql://blendata:$(DB_PASSWORD)@ml-studio-mysql:3306/auth" {
		t.Errorf("CERBERUS_DATABASE_DSN = %q", got)
	}
	if got := env("mlflow", "MLFLOW_BACKEND_STORE_URI").Value; got != "postgresql://blendata:$(DB_PASSWORD)@ml-studio-postgresql:5432/mlflow" {
		t.Errorf("MLFLOW_BACKEND_STORE_URI = %q", got)
	}
	if env("cerberus", "CERBERUS_ADMIN_PASSWORD").ValueFrom == nil {
		t.Errorf("the admin password must come from a Secret")
	}
	for _, n := range []string{"ml-studio-mysql", "ml-studio-postgresql"} {
		if r.statefulSets[n] == nil || r.services[n] == nil || r.secrets[n] == nil {
			t.Errorf("%s: StatefulSet, Service and Secret expected", n)
		}
	}
	if img := r.deployments[release+"-cerberus"].Spec.Template.Spec.Containers[0].Image; img != "registry.example.com/ml/ml-studio/cerberus:1.2.3" {
		t.Errorf("image %q", img)
	}
}

// renderNotes renders NOTES.txt, which `helm template` leaves out and `helm
// install --dry-run` renders only with a cluster: in a copy of the chart the
// notes become a named template shown through a ConfigMap.
func renderNotes(t *testing.T, helm string, set []string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ml-studio")
	if err := os.CopyFS(dir, os.DirFS(chartDir())); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, "templates", "NOTES.txt")
	text, err := os.ReadFile(notes)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(notes); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"_notes.tpl": `{{- define "test.notes" -}}` + string(text) + `{{- end }}`,
		"notes.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include \"test.notes\" . | quote }}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, "templates", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := HelmTemplate(helm, dir, release, namespace, append([]string{"--show-only", "templates/notes.yaml"}, setArgs(set)...)...)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := DecodeManifests(out)
	if err != nil || len(ms) != 1 {
		t.Fatalf("notes: %v", err)
	}
	return ms[0].Object.(*corev1.ConfigMap).Data["notes"]
}

func TestHelmNotes(t *testing.T) {
	helm := helmBin(t)
	for _, c := range []struct {
		set       []string
		want, not []string
	}{
		{nil, []string{
			"create secret generic ml-studio-db", "--from-literal=cerberus-dsn=", "--from-literal=mlflow-backend-store-uri=",
			"grep -A3 'First admin'", "port-forward svc/ml-studio-ui 3000:3000", "at least 2 pods", "for 2s",
		}, []string{"WARNING"}},
		{scenarios[3].set, []string{"https://ml.example.com/", "MLFLOW_TRACKING_URI=https://ml.example.com", "the one you gave", "WARNING: mlflow.artifacts.persistence.enabled=false"},
			[]string{"create secret", "First admin'"}},
		{[]string{"mlflow.replicas=2", "mlStudio.autoscaling.enabled=false", "mlStudio.replicas=4"}, []string{"WARNING: mlflow.replicas > 1", "runs 4 pods"}, nil},
	} {
		notes := renderNotes(t, helm, c.set)
		for _, w := range c.want {
			if !strings.Contains(notes, w) {
				t.Errorf("--set %v: NOTES lack %q:\n%s", c.set, w, notes)
			}
		}
		for _, w := range c.not {
			if strings.Contains(notes, w) {
				t.Errorf("--set %v: NOTES should not say %q:\n%s", c.set, w, notes)
			}
		}
	}
}
