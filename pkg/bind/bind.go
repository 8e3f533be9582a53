// Package bind reads request input strictly: a JSON body of bounded size
// with no unknown fields, and typed query parameters, each failure a clear
// 4xx naming what was wrong.
package bind

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// MaxBody is the largest JSON body accepted.
const MaxBody = 1 << 20

// JSON decodes the body into v, refusing unknown fields, trailing data,
// wrong types and bodies over MaxBody.
func JSON(c *gin.Context, v any) error { return decode(c, v, true) }

// JSONLoose is JSON accepting unknown fields: for bodies passed on to
// another service that defines them.
func JSONLoose(c *gin.Context, v any) error { return decode(c, v, false) }

func decode(c *gin.Context, v any, strict bool) error {
	limited := http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody)
	// null, a list or a bare value would decode into a struct as nothing
	// given at all (found by schemathesis: PATCH with the body null
	// answered 200): only an object is a body.
	first, err := firstByte(limited)
	switch {
	case err != nil:
		return jsonError(err)
	case first != '{':
		return apierror.BadRequest("the body must be a JSON object")
	}
	// The decoder buffers the body itself: a bufio.Reader in front of it,
	// to peek at the first byte, was 4 KiB more to allocate per request.
	dec := json.NewDecoder(&unread{first: first, r: limited})
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return apierror.BadRequest("the body must hold a single JSON object")
	}
	return nil
}

// firstByte reads the body up to its first byte that is not JSON white
// space; an empty body is io.EOF.
func firstByte(r io.Reader) (byte, error) {
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 1 && b[0] != ' ' && b[0] != '\t' && b[0] != '\r' && b[0] != '\n' {
			return b[0], nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// unread is r with the byte firstByte took put back in front.
type unread struct {
	first byte
	given bool
	r     io.Reader
}

// Read gives the byte back with what follows it, so that the decoder's
// first read takes a small body whole: a read of one byte alone made it
// grow its buffer, allocating three times what it needed.
func (u *unread) Read(p []byte) (int, error) {
	if u.given || len(p) == 0 {
		return u.r.Read(p)
	}
	u.given = true
	p[0] = u.first
	n, err := u.r.Read(p[1:])
	return n + 1, err
}

func jsonError(err error) error {
	var (
		syntax    *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
		unmarshal *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &tooLarge):
		return apierror.New(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", tooLarge.Limit)
	case errors.Is(err, io.EOF):
		return apierror.BadRequest("the body is empty; a JSON object is expected")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apierror.BadRequest("the body is not valid JSON: it ends too early")
	case errors.As(err, &syntax):
		return apierror.BadRequest("the body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return apierror.BadRequest("the body must be a JSON object")
		}
		return apierror.BadRequest("'%s' must be %s, not %s", typeErr.Field, typeName(typeErr.Type.Kind().String()), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return apierror.BadRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.As(err, &unmarshal):
		return fmt.Errorf("decode target: %w", err) // a programming error: 500
	default:
		return apierror.BadRequest("the body could not be read: %v", err)
	}
}

func typeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "map", "struct":
		return "an object"
	default:
		return "a number"
	}
}

// Int reads an optional integer query parameter within [lo, hi].
func Int(c *gin.Context, name string, def, lo, hi int) (int, error) {
	raw, ok := c.GetQuery(name)
	if !ok || raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, apierror.BadRequest("'%s' must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}

// Page is a limit/offset pair read from the query.
type Page struct {
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// Paging reads limit (default 50, at most 500) and offset.
func Paging(c *gin.Context) (Page, error) {
	limit, err := Int(c, "limit", 50, 1, 500)
	if err != nil {
		return Page{}, err
	}
	offset, err := Int(c, "offset", 0, 0, 1<<30)
	return Page{Limit: limit, Offset: offset}, err
}
