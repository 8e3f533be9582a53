// Package authz is the decision engine: from the grants found on an
// element's chain of ancestors, is an operation allowed?
//
// The rules (DESIGN.md, "Access model"):
//   - admins may do everything;
//   - an unknown element, or a disabled user, is denied;
//   - an explicit deny on the element or any ancestor (or the component
//     root) for the user or one of their groups denies everything;
//   - otherwise an allow on the element or an ancestor whose operation is at
//     least the one asked (use < read < edit < manage) allows; create is separate
//     and only a create grant allows it.
//
// A deny and an allow of the same subject on the same element are separate
// rows, both seen here: the deny wins. Decide's reasons are detailed (for
// admins and the audit trail); Concealed is what everyone else reads.
package authz

import (
	"fmt"
	"sort"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// Decision is an answer with a short reason a person can read.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// Subject is who asks.
type Subject struct {
	ID       uint64
	Username string
	IsAdmin  bool
	IsActive bool
}

// Ordinal of the ordered operations; create is 0 and stands apart.
const createOp = "create"

// Decide answers for one element from the ChainGrants rows of that element.
// op is the asked operation and its ordinal.
func Decide(who Subject, element string, op store.Operation, rows []store.ChainGrant) Decision {
	switch {
	case !who.IsActive:
		return Decision{Reason: "user is disabled"}
	case who.IsAdmin:
		return Decision{Allowed: true, Reason: "admin"}
	}
	exists := false
	var allowedBy *store.ChainGrant
	for i := range rows {
		r := &rows[i]
		if r.Operation == "" {
			exists = exists || r.Depth == 0
			continue
		}
		if r.Effect == store.Deny {
			return Decision{Reason: fmt.Sprintf("explicit deny %s", where(element, r.Depth))}
		}
		if satisfies(r, op) && (allowedBy == nil || r.Depth < allowedBy.Depth) {
			allowedBy = r
		}
	}
	switch {
	case !exists:
		return Decision{Reason: fmt.Sprintf("unknown element %q", element)}
	case allowedBy != nil:
		return Decision{Allowed: true, Reason: fmt.Sprintf("%s granted %s", allowedBy.Operation, where(element, allowedBy.Depth))}
	default:
		return Decision{Reason: fmt.Sprintf("no grant of %s on %q or above", op.Name, element)}
	}
}

// Concealed is a decision as a caller who is not an admin may read it: a
// denial about an element gives one reason whether the element does not
// exist, no grant reaches it or a deny does, so that asking about names
// does not tell which exist (nor where a deny sits above them); it names
// no element, as the caller knows which they asked about. A disabled
// subject's denial says nothing about the element and stays as it is;
// admins, and the audit trail, keep Decide's detailed reason.
func Concealed(who Subject, operation string, d Decision) Decision {
	if d.Allowed || !who.IsActive {
		return d
	}
	return Decision{Reason: fmt.Sprintf("no %s access (or no such element)", operation)}
}

// satisfies reports whether an allow row grants op.
func satisfies(r *store.ChainGrant, op store.Operation) bool {
	if op.Name == createOp {
		return r.Operation == createOp
	}
	return r.Operation != createOp && r.Ordinal >= op.Ordinal
}

func where(element string, depth int) string {
	switch {
	case depth < 0:
		return "on the whole component"
	case depth == 0:
		return fmt.Sprintf("on %q", element)
	default:
		return fmt.Sprintf("on an ancestor of %q (%d up)", element, depth)
	}
}

// Readable is the set of elements of one kind a user may access: either
// everything but Except, or exactly Names.
type Readable struct {
	All    bool     `json:"all"`
	Names  []string `json:"names"`
	Except []string `json:"except"`
}

// Reduce turns Reach rows into a Readable set: a deny reaching an element
// removes it whatever allows reach it too.
func Reduce(who Subject, rows []store.ReachRow) Readable {
	if !who.IsActive {
		return Readable{Names: []string{}, Except: []string{}}
	}
	all := who.IsAdmin
	denied := map[string]bool{}
	allowed := map[string]bool{}
	rootDenied := false
	for _, r := range rows {
		switch {
		case r.Root && r.Effect == store.Deny:
			rootDenied = true
		case r.Root:
			all = true
		case r.Effect == store.Deny:
			denied[r.Name] = true
		default:
			allowed[r.Name] = true
		}
	}
	out := Readable{Names: []string{}, Except: []string{}}
	switch {
	case who.IsAdmin:
		out.All = true
	case rootDenied:
		// nothing: a deny on the whole component
	case all:
		out.All = true
		for name := range denied {
			out.Except = append(out.Except, name)
		}
	default:
		for name := range allowed {
			if !denied[name] {
				out.Names = append(out.Names, name)
			}
		}
	}
	sort.Strings(out.Names)
	sort.Strings(out.Except)
	return out
}

// DecideBatch answers for many elements from one ChainGrants call.
func DecideBatch(who Subject, elements []string, op store.Operation, rows []store.ChainGrant) map[string]Decision {
	byStart := make(map[string][]store.ChainGrant, len(elements))
	for _, r := range rows {
		byStart[r.Start] = append(byStart[r.Start], r)
	}
	out := make(map[string]Decision, len(elements))
	for _, e := range elements {
		out[e] = Decide(who, e, op, byStart[e])
	}
	return out
}
