package validate

import (
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// pod is a connection's source or destination: its namespace's labels and
// its own.
type pod struct {
	name      string
	namespace string
	labels    map[string]string
}

func (p pod) nsLabels() labels.Set {
	return labels.Set{"kubernetes.io/metadata.name": p.namespace}
}

// selects reports whether a label selector matches; a nil selector matches
// nothing, an empty one everything.
func selects(t *testing.T, sel *metav1.LabelSelector, set labels.Set) bool {
	t.Helper()
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatalf("selector %v: %v", sel, err)
	}
	return s.Matches(set)
}

// peerMatches follows NetworkPolicyPeer's rules: a podSelector alone means
// pods of the policy's namespace, a namespaceSelector alone every pod of the
// namespaces it selects, both together the pods it selects in those.
// ipBlock peers match no pod here (the chart uses none).
func peerMatches(t *testing.T, peer networkingv1.NetworkPolicyPeer, src pod) bool {
	switch {
	case peer.IPBlock != nil:
		return false
	case peer.NamespaceSelector == nil:
		return src.namespace == namespace && selects(t, peer.PodSelector, src.labels)
	case peer.PodSelector == nil:
		return selects(t, peer.NamespaceSelector, src.nsLabels())
	default:
		return selects(t, peer.NamespaceSelector, src.nsLabels()) && selects(t, peer.PodSelector, src.labels)
	}
}

// portMatches: no ports means every port; a named port is looked up among
// the destination's container ports.
func portMatches(ports []networkingv1.NetworkPolicyPort, dst corev1.PodSpec, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.IntValue() == int(port) && p.Port.String() == fmt.Sprint(port) {
			return true
		}
		for _, c := range dst.Containers {
			for _, cp := range c.Ports {
				if cp.Name == p.Port.String() && cp.ContainerPort == port {
					return true
				}
			}
		}
	}
	return false
}

// admits evaluates the rendered policies as a cluster that enforces them
// would: a pod no Ingress policy selects takes every connection; a selected
// one only those some rule of a selecting policy allows.
func admits(t *testing.T, r rendered, src pod, dst workload, port int32) bool {
	isolated := false
	for _, np := range r.policies {
		if !selects(t, &np.Spec.PodSelector, dst.pod.Labels) {
			continue
		}
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && len(np.Spec.PolicyTypes) > 0 {
			continue
		}
		isolated = true
		for _, rule := range np.Spec.Ingress {
			if !portMatches(rule.Ports, dst.pod.Spec, port) {
				continue
			}
			if len(rule.From) == 0 || slices.ContainsFunc(rule.From, func(p networkingv1.NetworkPolicyPeer) bool { return peerMatches(t, p, src) }) {
				return true
			}
		}
	}
	return !isolated
}

// What each scenario's policies must allow (see values.yaml, networkPolicy).
var netExpect = map[string]struct {
	enforced   bool // policies rendered
	restricted bool // the entry points only from the ingress controller's namespace
	monitored  bool // prometheus in "monitoring" reaches every HTTP port
}{
	"defaults":                                                {enforced: true},
	"three ml_studio replicas":                                {enforced: true},
	"fixed replicas, no autoscaler":                           {enforced: true},
	"in-cluster databases, ingress, admin password":           {enforced: true},
	"external strings in values":                              {enforced: true},
	"the operator's registrar secret, the cluster's pod CIDR": {enforced: true},
	"no network policies":                                     {},
	"ci/in-cluster-values.yaml":                               {enforced: true, restricted: true, monitored: true},
	"ci/production-values.yaml":                               {enforced: true},
}

// Who may connect to whom, for every pair of the chart's pods and a few
// strangers, in every scenario: only ml_studio reaches cerberus and MLflow,
// only cerberus MySQL, only MLflow PostgreSQL, the ui only ml_studio; the
// entry points are open, or open to the ingress controller when restricted.
func TestHelmNetworkPolicies(t *testing.T) {
	helm := helmBin(t)
	ports := map[string]int32{"ui": 3000, "ml-studio": 5001, "cerberus": 5000, "mlflow": 5050, "mysql": 3306, "postgresql": 5432}
	callers := map[string][]string{ // in-cluster callers of each component
		"ml-studio": {"ui"}, "cerberus": {"ml-studio"}, "mlflow": {"ml-studio"},
		"mysql": {"cerberus"}, "postgresql": {"mlflow"},
	}
	strangers := []pod{
		{"a pod of the namespace", namespace, map[string]string{"app": "notebook"}},
		{"a pod claiming the chart's name", namespace, map[string]string{"app.kubernetes.io/name": "ml-studio", "app.kubernetes.io/component": "debug"}},
		{"the ingress controller", "ingress-nginx", map[string]string{"app.kubernetes.io/name": "ingress-nginx"}},
		{"prometheus", "monitoring", map[string]string{"app.kubernetes.io/name": "prometheus"}},
		{"another pod in monitoring", "monitoring", map[string]string{"app.kubernetes.io/name": "grafana"}},
	}
	for _, s := range scenarios {
		exp, ok := netExpect[s.name]
		if !ok {
			t.Errorf("scenario %q: no network expectations", s.name)
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			r := index(t, render(t, helm, s))
			if !exp.enforced {
				if len(r.policies) > 0 {
					t.Errorf("networkPolicy.enabled=false renders %d policies", len(r.policies))
				}
				return
			}
			comps := map[string]workload{}
			var sources []pod
			for _, w := range r.workloads() {
				c := w.pod.Labels["app.kubernetes.io/component"]
				comps[c] = w
				sources = append(sources, pod{c, namespace, w.pod.Labels})
				n := 0
				for _, np := range r.policies {
					if selects(t, &np.Spec.PodSelector, w.pod.Labels) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%s %s: selected by %d NetworkPolicies, want 1 (every pod isolated)", w.kind, w.name, n)
				}
			}
			sources = append(sources, strangers...)
			for dstName, dst := range comps {
				port, ok := ports[dstName]
				if !ok {
					t.Fatalf("component %q has no expected port", dstName)
				}
				for _, src := range sources {
					want := slices.Contains(callers[dstName], src.name)
					entry := dstName == "ui" || dstName == "ml-studio"
					if entry && !exp.restricted {
						want = true
					}
					if entry && src.name == "the ingress controller" {
						want = true
					}
					if exp.monitored && src.name == "prometheus" && dstName != "mysql" && dstName != "postgresql" {
						want = true
					}
					if src.name == dstName {
						continue // a pod to itself is not a network path
					}
					if got := admits(t, r, src, dst, port); got != want {
						t.Errorf("%s -> %s:%d admitted %v, want %v", src.name, dstName, port, got, want)
					}
					// No other port of the pod is open to anyone.
					if admits(t, r, src, dst, port+1) {
						t.Errorf("%s -> %s:%d (not its port) admitted", src.name, dstName, port+1)
					}
				}
			}
		})
	}
}

// A PodDisruptionBudget keeps one pod of every Deployment that runs more
// than one through a node drain, and lets the drain go on.
func TestHelmDisruptionBudgets(t *testing.T) {
	helm := helmBin(t)
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			r := index(t, render(t, helm, s))
			for _, name := range []string{"cerberus", "ml-studio", "ui", "mlflow"} {
				d := r.deployments[release+"-"+name]
				if d == nil {
					t.Fatalf("no Deployment %s-%s", release, name)
				}
				min := int32(1)
				if h := r.hpas[d.Name]; h != nil {
					min = *h.Spec.MinReplicas
				} else if d.Spec.Replicas != nil {
					min = *d.Spec.Replicas
				}
				var budgets []string
				for pn, p := range r.pdbs {
					if selects(t, p.Spec.Selector, d.Spec.Template.Labels) {
						budgets = append(budgets, pn)
						if p.Spec.MinAvailable == nil || p.Spec.MinAvailable.IntValue() < 1 || p.Spec.MinAvailable.IntValue() >= int(min) {
							t.Errorf("PDB %s: minAvailable %v of %d pods must keep one and let one go", pn, p.Spec.MinAvailable, min)
						}
					}
				}
				// MLflow's artifacts volume may be ReadWriteOnce: no budget for it.
				want := 0
				if min > 1 && name != "mlflow" {
					want = 1
				}
				if len(budgets) != want {
					t.Errorf("%s (%d pods at least): PDBs %v, want %d", name, min, budgets, want)
				}
			}
		})
	}
}
