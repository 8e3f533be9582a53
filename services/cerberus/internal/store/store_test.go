package store_test

import (
	"reflect"
	"testing"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

func TestSuite(t *testing.T) {
	for name, open := range storetest.Backends {
		t.Run(name, func(t *testing.T) { storetest.Run(t, open) })
	}
}

// The two migration sets must produce the same columns, table by table.
func TestSchemasMatchAcrossBackends(t *testing.T) {
	lite, _ := storetest.SQLite(t)
	my, _ := storetest.MySQL(t)
	for _, s := range []*store.Store{lite, my} {
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("migrate %s: %v", s.Dialect(), err)
		}
	}
	if a, b := storetest.Columns(t, lite), storetest.Columns(t, my); !reflect.DeepEqual(a, b) {
		t.Fatalf("schemas differ:\nsqlite: %v\nmysql:  %v", a, b)
	}
}
