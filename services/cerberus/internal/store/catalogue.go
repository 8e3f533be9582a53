package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/catalogue"
)

// Operation is an operation of the catalogue.
type Operation struct {
	ID      uint64
	Name    string
	Ordinal int // use 1 < read 2 < edit 3 < manage 4; create 0 stands apart (pkg/catalogue)
}

// ids is the catalogue's fixed rows, read once after migrating: they never
// change at run time, and a decision should not spend a query on them.
type ids struct {
	components map[string]uint64
	operations map[string]Operation
}

// LoadCatalogue reads the components and operations into memory.
func (s *Store) LoadCatalogue(ctx context.Context) error {
	var comps []struct {
		ID   uint64
		Name string
	}
	if err := s.db.WithContext(ctx).Table("component").Select("id, name").Scan(&comps).Error; err != nil {
		return classify(err, "components")
	}
	var ops []Operation
	if err := s.db.WithContext(ctx).Table("operation").Select("id, name, ordinal").Scan(&ops).Error; err != nil {
		return classify(err, "operations")
	}
	cat := ids{components: map[string]uint64{}, operations: map[string]Operation{}}
	for _, c := range comps {
		cat.components[c.Name] = c.ID
	}
	for _, o := range ops {
		cat.operations[o.Name] = o
	}
	s.ids = cat
	return nil
}

// ComponentID is the id of a component by name.
func (s *Store) ComponentID(name string) (uint64, error) {
	id, ok := s.ids.components[name]
	if !ok {
		return 0, fmt.Errorf("component %q: %w", name, apierror.ErrNotFound)
	}
	return id, nil
}

// OperationByName is an operation by name.
func (s *Store) OperationByName(name string) (Operation, error) {
	op, ok := s.ids.operations[name]
	if !ok {
		return Operation{}, fmt.Errorf("operation %q: must be one of %s: %w", name, strings.Join(catalogue.OperationNames(), ", "), apierror.ErrInvalid)
	}
	return op, nil
}
