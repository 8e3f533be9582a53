package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authz"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// ElementView is an element as the API shows it.
type ElementView struct {
	Name      string `json:"name"`
	Parent    string `json:"parent,omitempty"`
	CreatedAt string `json:"created_at"`
}

// RegisterElement records a new element under parent. The creator gets
// manage on it. Who may: admins, and holders of create on the parent (or on
// the component root when there is no parent) — for experiments and models,
// only through ml_studio when a registrar secret is configured.
func (s *Service) RegisterElement(ctx context.Context, m Meta, p Principal, name, parent string, registrar bool) (ElementView, error) {
	comp, err := s.store.ComponentID(Component)
	if err != nil {
		return ElementView{}, err
	}
	if err := validElement(name); err != nil {
		return ElementView{}, err
	}
	if s.registrarOnly(name) && !registrar && !p.IsAdmin {
		s.audit(ctx, m, &p, "element.register", name, "denied", "not the registrar")
		return ElementView{}, errRegistrarOnly
	}
	if parent != "" {
		if err := validElement(parent); err != nil {
			return ElementView{}, err
		}
	}
	where := parent
	if where == "" {
		where = store.Root
	}
	d, err := s.decide(ctx, p.Subject, comp, where, "create")
	if err != nil {
		return ElementView{}, err
	}
	if !d.Allowed {
		s.audit(ctx, m, &p, "element.register", name, "denied", d.Reason)
		return ElementView{}, fmt.Errorf("you may not create elements in %q: %w", where, apierror.ErrForbidden)
	}
	creator := &p.ID
	e, err := s.store.RegisterElement(ctx, comp, name, parent, creator)
	s.audit(ctx, m, &p, "element.register", name, resultOf(err), parent)
	if err != nil {
		return ElementView{}, err
	}
	return ElementView{Name: e.Name, Parent: parent, CreatedAt: e.CreatedAt.UTC().Format(timeFormat)}, nil
}

// ListElements pages through the elements of one kind by name (admins
// only), so an admin picks a project from a list rather than typing its key.
func (s *Service) ListElements(ctx context.Context, p Principal, kind string, page store.Page) ([]ElementView, int64, error) {
	if err := requireAdmin(p); err != nil {
		return nil, 0, err
	}
	switch {
	case kind == "":
		return nil, 0, apierror.Required("kind")
	case !kinds[kind]:
		return nil, 0, invalid("kind %q is not a kind of element", truncate(kind))
	}
	comp, err := s.store.ComponentID(Component)
	if err != nil {
		return nil, 0, err
	}
	rows, total, err := s.store.ListElements(ctx, store.ElementFilter{ComponentID: comp, Kind: kind}, page)
	out := make([]ElementView, 0, len(rows))
	for _, e := range rows {
		out = append(out, ElementView{Name: e.Name, CreatedAt: e.CreatedAt.UTC().Format(timeFormat)})
	}
	return out, total, err
}

// GrantRequest names a grant to add or remove.
type GrantRequest struct {
	Element   string `json:"element"`
	Operation string `json:"operation"`
	Effect    string `json:"effect"`
	User      string `json:"user"`
	Group     string `json:"group"`
}

// ChangeGrant adds or (revoke) removes a grant. Who may: admins and holders
// of manage on the element; a deny, though, is lifted only by an admin or
// by the manager who placed it (its granted_by), and an admin's deny over
// a manager's identical one takes it over, so an admin's deny stays final.
// A revocation is seen by the very next decision.
func (s *Service) ChangeGrant(ctx context.Context, m Meta, p Principal, r GrantRequest, revoke bool) error {
	comp, err := s.store.ComponentID(Component)
	if err != nil {
		return err
	}
	if r.Element == "" {
		return apierror.Required("element")
	}
	if err := validElement(r.Element); err != nil {
		return err
	}
	action := "grant.add"
	if revoke {
		action = "grant.revoke"
	}
	// The check comes before any lookup of the grantee, so a caller without
	// manage cannot learn which users or groups exist.
	d, err := s.decide(ctx, p.Subject, comp, r.Element, "manage")
	if err != nil {
		return err
	}
	if !d.Allowed {
		s.audit(ctx, m, &p, action, r.Element, "denied", d.Reason)
		return fmt.Errorf("changing access to %q needs manage on it: %w", r.Element, apierror.ErrForbidden)
	}
	spec, target, err := s.grantSpec(ctx, comp, r)
	if err != nil {
		return err
	}
	spec.By = &p.ID
	if spec.Effect == store.Deny {
		// An admin's deny is final: the same deny a manager placed already
		// becomes the admin's. A manager lifts only a deny of their own.
		spec.Adopt = p.IsAdmin && !revoke
		if !p.IsAdmin && revoke {
			spec.OnlyPlacedBy = &p.ID
		}
	}
	if revoke {
		err = s.store.Revoke(ctx, spec)
	} else {
		err = s.store.Grant(ctx, spec)
	}
	detail := fmt.Sprintf("%s %s to %s", spec.Effect, spec.Operation, target)
	if errors.Is(err, apierror.ErrForbidden) {
		s.audit(ctx, m, &p, action, r.Element, "denied", detail+": placed by someone else")
		return fmt.Errorf("a deny on %q can be lifted only by an admin or by whoever placed it: %w", r.Element, apierror.ErrForbidden)
	}
	s.audit(ctx, m, &p, action, r.Element, resultOf(err), detail)
	return err
}

func (s *Service) grantSpec(ctx context.Context, comp uint64, r GrantRequest) (store.GrantSpec, string, error) {
	spec := store.GrantSpec{ComponentID: comp, Element: r.Element, Operation: r.Operation, Effect: r.Effect}
	if spec.Effect == "" {
		spec.Effect = store.Allow
	}
	switch {
	case r.Element == "":
		return spec, "", apierror.Required("element")
	case spec.Effect != store.Allow && spec.Effect != store.Deny:
		return spec, "", invalid("effect must be allow or deny")
	case spec.Effect == store.Allow && r.Operation == "":
		return spec, "", apierror.Required("operation")
	case (r.User == "") == (r.Group == ""):
		return spec, "", invalid("name exactly one of user or group")
	}
	if err := validElement(r.Element); err != nil {
		return spec, "", err
	}
	if spec.Effect == store.Deny {
		spec.Operation = ""
	} else if _, err := s.store.OperationByName(r.Operation); err != nil {
		return spec, "", err
	}
	if r.User != "" {
		u, err := s.store.UserByName(ctx, r.User)
		if err != nil {
			return spec, "", err
		}
		spec.Subject = store.Subject{Kind: store.SubjectUser, ID: u.ID}
		return spec, "user:" + u.Username, nil
	}
	g, err := s.store.GroupByName(ctx, r.Group)
	if err != nil {
		return spec, "", err
	}
	spec.Subject = store.Subject{Kind: store.SubjectGroup, ID: g.ID}
	return spec, "group:" + g.Name, nil
}

// GrantView is a grant in an access list.
type GrantView struct {
	Subject   string `json:"subject"` // user:<name> or group:<name>
	Element   string `json:"element"`
	Operation string `json:"operation,omitempty"`
	Effect    string `json:"effect"`
	Inherited bool   `json:"inherited"`
	GrantedAt string `json:"granted_at"`
}

func viewGrants(rows []store.GrantRow) []GrantView {
	out := make([]GrantView, 0, len(rows))
	for _, r := range rows {
		v := GrantView{Subject: r.SubjectKind + ":" + r.SubjectName, Element: r.Element, Operation: r.Operation, Effect: r.Effect, Inherited: r.Depth != 0, GrantedAt: r.CreatedAt.UTC().Format(timeFormat)}
		if r.Effect == store.Deny {
			v.Operation = ""
		}
		out = append(out, v)
	}
	return out
}

// AccessTo answers "who has access to element E": its grants and those
// inherited from above. Who may ask: admins and readers of E.
func (s *Service) AccessTo(ctx context.Context, p Principal, element string) ([]GrantView, error) {
	comp, err := s.store.ComponentID(Component)
	if err != nil {
		return nil, err
	}
	d, err := s.decide(ctx, p.Subject, comp, element, "read")
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		return nil, fmt.Errorf("element %q: %w", element, apierror.ErrNotFound) // do not confirm it exists
	}
	rows, err := s.store.AccessTo(ctx, comp, element)
	return viewGrants(rows), err
}

// GrantsOf answers "what may user U do": admins for anyone, users for themselves.
func (s *Service) GrantsOf(ctx context.Context, p Principal, username string) ([]GrantView, error) {
	if !p.IsAdmin && p.Username != username {
		return nil, fmt.Errorf("you may only see your own access: %w", apierror.ErrForbidden)
	}
	comp, err := s.store.ComponentID(Component)
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByName(ctx, username)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.GrantsOf(ctx, comp, u.ID)
	return viewGrants(rows), err
}

// decide is one decision: from memory when cached, else one query.
func (s *Service) decide(ctx context.Context, who authz.Subject, comp uint64, element, operation string) (authz.Decision, error) {
	op, err := s.store.OperationByName(operation)
	if err != nil {
		return authz.Decision{}, err
	}
	if who.IsAdmin || !who.IsActive {
		return authz.Decide(who, element, op, nil), nil // no query needed
	}
	var d authz.Decision
	_, err = s.grantsFor(ctx, who, comp, []string{element}, func(rows []store.ChainGrant) bool {
		d = authz.Decide(who, element, op, rows)
		return !d.Allowed
	})
	return d, err
}

// grantsFor reads the grants a decision about elements needs, from memory
// when it can, and decides with them (refused reports whether a decision
// refuses something). A refusal answered from memory may have missed a
// grant or an element another replica committed a moment ago — a client
// creating an experiment through one replica and logging to it through
// the next: the change log is then caught up at once (one indexed read of
// one row when nothing changed) and, when it had moved, the decision made
// again. So a refusal always reflects every change committed before it,
// on whichever replica; an allow from memory is not re-checked, and a
// revocation made elsewhere is applied within CERBERUS_CACHE_SYNC. A
// refusal the database answered (a user not in memory) is current already:
// it skips the catch-up's round trip.
func (s *Service) grantsFor(ctx context.Context, who authz.Subject, comp uint64, elements []string, refused func([]store.ChainGrant) bool) ([]store.ChainGrant, error) {
	since, _, _ := s.access.Revision() // before the answer from memory
	a, err := s.access.Lookup(ctx, who.ID, comp, elements)
	if err != nil {
		return nil, err
	}
	rows := a.Rows
	if !refused(rows) || a.Current {
		return rows, nil
	}
	if caught, err := s.access.CatchUp(ctx, since); err != nil || !caught {
		// Nothing was missed, or the log cannot be read: the refusal stands.
		return rows, nil
	}
	if rows, err = s.access.ChainGrants(ctx, who.ID, comp, elements); err != nil {
		return nil, err
	}
	refused(rows)
	return rows, nil
}

// RenameElement renames an element keeping its grants, as a registered
// model rename must keep access. Who may: admins and holders of manage.
func (s *Service) RenameElement(ctx context.Context, m Meta, p Principal, from, to string, registrar bool) error {
	comp, err := s.store.ComponentID(Component)
	if err != nil {
		return err
	}
	for _, name := range []string{from, to} {
		if err := validElement(name); err != nil {
			return err
		}
	}
	if kindOf(from) != kindOf(to) || from == store.Root {
		return invalid("a rename keeps the element's kind")
	}
	if s.registrarOnly(to) && !registrar && !p.IsAdmin {
		s.audit(ctx, m, &p, "element.rename", from, "denied", "not the registrar")
		return errRegistrarOnly
	}
	d, err := s.decide(ctx, p.Subject, comp, from, "manage")
	if err != nil {
		return err
	}
	if !d.Allowed {
		s.audit(ctx, m, &p, "element.rename", from, "denied", d.Reason)
		return fmt.Errorf("renaming %q needs manage on it: %w", from, apierror.ErrForbidden)
	}
	err = s.store.RenameElement(ctx, comp, from, to)
	s.audit(ctx, m, &p, "element.rename", from, resultOf(err), "to "+to)
	return err
}

func kindOf(element string) string {
	kind, _, _ := strings.Cut(element, ":")
	return kind
}

// DeleteElement removes an element and its grants, as ml_studio does when
// MLflow deletes a model for good (so its name can be used again). Who may:
// admins and holders of manage — for experiments and models, only through
// ml_studio when a registrar secret is configured.
func (s *Service) DeleteElement(ctx context.Context, m Meta, p Principal, name string, registrar bool) error {
	comp, err := s.store.ComponentID(Component)
	if err != nil {
		return err
	}
	if err := validElement(name); err != nil {
		return err
	}
	if name == store.Root || name == "project:default" {
		return invalid("element %q cannot be deleted", name)
	}
	if s.registrarOnly(name) && !registrar && !p.IsAdmin {
		s.audit(ctx, m, &p, "element.delete", name, "denied", "not the registrar")
		return errRegistrarOnly
	}
	d, err := s.decide(ctx, p.Subject, comp, name, "manage")
	if err != nil {
		return err
	}
	if !d.Allowed {
		s.audit(ctx, m, &p, "element.delete", name, "denied", d.Reason)
		return fmt.Errorf("deleting %q needs manage on it: %w", name, apierror.ErrForbidden)
	}
	err = s.store.DeleteElement(ctx, comp, name)
	s.audit(ctx, m, &p, "element.delete", name, resultOf(err), "")
	return err
}
