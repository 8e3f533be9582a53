package api

import (
	"testing"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
)

// TestEverySpecialRuleHasItsHandler: a Special rule without a handler
// would be refused at run time — and a handler without a Special rule
// never runs (the model delete that did not unregister, audit F3).
func TestEverySpecialRuleHasItsHandler(t *testing.T) {
	specials := handlers{}.allSpecials()
	for key, rule := range access.Rules {
		if _, ok := specials[key]; ok != (rule.Target == access.Special) {
			t.Errorf("%s: Special rule %v, handler %v", key, rule.Target == access.Special, ok)
		}
	}
	for key := range specials {
		if _, ok := access.Rules[key]; !ok {
			t.Errorf("handler for %s, which has no rule", key)
		}
	}
}
