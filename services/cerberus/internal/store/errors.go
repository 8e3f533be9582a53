package store

import (
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// classify wraps a database error in the kind callers act on; what names the
// row in words safe to show.
func classify(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%s: %w", what, apierror.ErrNotFound)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%s: %w", what, apierror.ErrConflict)
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return fmt.Errorf("%s: refers to something that does not exist: %w", what, apierror.ErrInvalid)
	default:
		// Anything else is the database failing (outage, timeout): callers
		// fail closed with a 503, and the cause stays in the chain for the log.
		return fmt.Errorf("%s: %w: %w", what, ErrUnavailable, errors.Join(apierror.ErrUnavailable, err))
	}
}
