package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	"github.com/gin-gonic/gin"
	filterparser "github.com/scim2/filter-parser/v2"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
)

// SCIMPrefix is where SCIM 2.0 provisioning is served (RFC 7644's base URL).
const SCIMPrefix = "/scim/v2"

// scimMaxBody bounds a SCIM request body (ServiceProviderConfig says so too).
const scimMaxBody = 1 << 20

// RegisterSCIM serves SCIM 2.0 provisioning (elimity-com/scim does the
// protocol: routing, schema validation, filters, list responses and error
// bodies) when sc is not nil. Every request needs the provider's bearer
// secret.
func RegisterSCIM(r gin.IRouter, sc *service.SCIM) error {
	if sc == nil {
		return nil
	}
	srv, err := newSCIMServer(sc)
	if err != nil {
		return fmt.Errorf("scim: %w", err)
	}
	h := scimAuth(sc, http.StripPrefix("/scim", srv))
	for _, rt := range scimRoutes {
		r.Handle(rt[0], SCIMPrefix+rt[1], h)
	}
	return nil
}

// scimRoutes are the endpoints served (the OpenAPI document lists them);
// the library's others (/.search, /Me, Bulk) are not.
var scimRoutes = [][2]string{
	{http.MethodGet, "/ServiceProviderConfig"},
	{http.MethodGet, "/Schemas"}, {http.MethodGet, "/Schemas/:id"},
	{http.MethodGet, "/ResourceTypes"}, {http.MethodGet, "/ResourceTypes/:id"},
	{http.MethodGet, "/Users"}, {http.MethodPost, "/Users"},
	{http.MethodGet, "/Users/:id"}, {http.MethodPut, "/Users/:id"}, {http.MethodPatch, "/Users/:id"}, {http.MethodDelete, "/Users/:id"},
	{http.MethodGet, "/Groups"}, {http.MethodPost, "/Groups"},
	{http.MethodGet, "/Groups/:id"}, {http.MethodPut, "/Groups/:id"}, {http.MethodPatch, "/Groups/:id"}, {http.MethodDelete, "/Groups/:id"},
}

type scimMetaKey struct{}

func scimMeta(r *http.Request) service.Meta {
	m, _ := r.Context().Value(scimMetaKey{}).(service.Meta)
	return m
}

// scimAuth refuses any request without the SCIM secret with SCIM's 401.
func scimAuth(sc *service.SCIM, next http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		scheme, secret, _ := strings.Cut(c.GetHeader("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || !sc.Authenticate(strings.TrimSpace(secret)) {
			c.Header("Content-Type", "application/scim+json")
			c.Header("WWW-Authenticate", `Bearer realm="scim"`)
			body, _ := scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: "the SCIM bearer secret is missing or wrong"}.MarshalJSON()
			c.Data(http.StatusUnauthorized, "application/scim+json", body)
			c.Abort()
			return
		}
		r := c.Request.WithContext(context.WithValue(c.Request.Context(), scimMetaKey{}, meta(c)))
		r.Body = http.MaxBytesReader(c.Writer, r.Body, scimMaxBody)
		next.ServeHTTP(c.Writer, r)
	}
}

func newSCIMServer(sc *service.SCIM) (scim.Server, error) {
	return scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{
			DocumentationURI: optional.NewString("https://github.com/ml-studio/ml-studio#single-sign-on"),
			AuthenticationSchemes: []scim.AuthenticationScheme{{
				Type: scim.AuthenticationTypeOauthBearerToken, Name: "Bearer secret", Primary: true,
				Description: "the secret set in CERBERUS_SCIM_TOKEN, as Authorization: Bearer",
			}},
			MaxResults:       100,
			SupportFiltering: true,
			SupportPatch:     true,
		},
		ResourceTypes: []scim.ResourceType{
			{ID: optional.NewString("User"), Name: "User", Endpoint: "/Users", Description: optional.NewString("ML Studio accounts of the identity provider"),
				Schema: schema.CoreUserSchema(), Handler: scimUsers{sc: sc}},
			{ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups", Description: optional.NewString("provider-managed groups"),
				Schema: schema.CoreGroupSchema(), Handler: scimGroups{sc: sc}},
		},
	})
}

// toSCIM maps an error of the service to SCIM's error body: the status
// apierror gives it, and RFC 7644's scimType for a bad request.
func toSCIM(err error) error {
	var se scimerrors.ScimError
	if errors.As(err, &se) {
		return se
	}
	e := apierror.Resolve(err)
	out := scimerrors.ScimError{Status: e.Status, Detail: e.Message}
	switch {
	case errors.Is(err, service.ErrUserNameImmutable):
		out.ScimType = scimerrors.ScimTypeMutability
	case e.Status == http.StatusConflict && !errors.Is(err, service.ErrLastAdmin):
		out.ScimType = scimerrors.ScimTypeUniqueness
	case e.Status == http.StatusBadRequest:
		out.ScimType = scimerrors.ScimTypeInvalidValue
	case e.Status >= 500:
		out.Status, out.Detail = http.StatusInternalServerError, "the request could not be completed; try again"
	}
	return out
}

func badValue(format string, args ...any) error {
	return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue, Detail: fmt.Sprintf(format, args...)}
}

func badPath(p fmt.Stringer) error {
	return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidPath, Detail: fmt.Sprintf("path %q is not supported here", p)}
}

var errFilter = scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidFilter,
	Detail: `only the filter <attribute> eq "<value>" is supported (userName for users, displayName for groups)`}

// eqFilter reads `attr eq "value"`, the one filter supported; filtered is
// false without a filter.
func eqFilter(v *scimfilter.Validator, attr string) (value string, filtered bool, err error) {
	if v == nil {
		return "", false, nil
	}
	e, ok := v.GetFilter().(*filterparser.AttributeExpression)
	if !ok || e.Operator != filterparser.EQ || e.AttributePath.SubAttribute != nil || e.AttributePath.URIPrefix != nil ||
		!strings.EqualFold(e.AttributePath.AttributeName, attr) {
		return "", false, errFilter
	}
	s, ok := e.CompareValue.(string)
	if !ok {
		return "", false, errFilter
	}
	return s, true, nil
}

// get reads a key of a SCIM object ignoring case, as attribute names are.
func get(m map[string]any, key string) (any, bool) {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func getString(m map[string]any, key string) (string, bool, error) {
	v, ok := get(m, key)
	if !ok || v == nil {
		return "", ok, nil
	}
	s, isString := v.(string)
	if !isString {
		return "", true, badValue("%s must be a string", key)
	}
	return s, true, nil
}

func asObject(v any) map[string]any {
	m, _ := v.(map[string]any)
	if m == nil {
		if r, ok := v.(scim.ResourceAttributes); ok {
			m = r
		}
	}
	return m
}

func asList(v any) []any {
	switch l := v.(type) {
	case []any:
		return l
	case []map[string]any:
		out := make([]any, 0, len(l))
		for _, m := range l {
			out = append(out, m)
		}
		return out
	case map[string]any:
		return []any{l}
	}
	return nil
}

// ---- Users

type scimUsers struct{ sc *service.SCIM }

func userResource(u service.SCIMUser) scim.Resource {
	attrs := scim.ResourceAttributes{"userName": u.UserName, "displayName": u.DisplayName, "active": u.Active,
		"name": map[string]any{"formatted": u.DisplayName}}
	if u.Email != "" {
		attrs["emails"] = []map[string]any{{"value": u.Email, "primary": true}}
	}
	created, modified := u.Created, u.Modified
	return scim.Resource{ID: u.ID, Attributes: attrs, Meta: scim.Meta{Created: &created, LastModified: &modified}}
}

// displayName is displayName, else name.formatted, else given and family names.
func displayName(m map[string]any) (string, bool, error) {
	if s, ok, err := getString(m, "displayName"); ok || err != nil {
		return s, ok, err
	}
	v, ok := get(m, "name")
	name := asObject(v)
	if !ok || name == nil {
		return "", false, nil
	}
	if s, ok, err := getString(name, "formatted"); ok || err != nil {
		return s, ok, err
	}
	given, _, err := getString(name, "givenName")
	if err != nil {
		return "", false, err
	}
	family, _, err := getString(name, "familyName")
	return strings.TrimSpace(given + " " + family), given != "" || family != "", err
}

// email is the primary email's value, else the first's.
func email(v any) (string, error) {
	var first string
	for i, e := range asList(v) {
		m := asObject(e)
		s, _, err := getString(m, "value")
		if err != nil {
			return "", err
		}
		if p, _ := get(m, "primary"); p == true {
			return s, nil
		}
		if i == 0 {
			first = s
		}
	}
	return first, nil
}

func userInput(a scim.ResourceAttributes) (service.SCIMUserInput, error) {
	var in service.SCIMUserInput
	var err error
	if in.UserName, _, err = getString(a, "userName"); err != nil {
		return in, err
	}
	if in.DisplayName, _, err = displayName(a); err != nil {
		return in, err
	}
	if v, ok := get(a, "emails"); ok {
		if in.Email, err = email(v); err != nil {
			return in, err
		}
	}
	if v, ok := get(a, "active"); ok {
		b, isBool := v.(bool)
		if !isBool {
			return in, badValue("active must be true or false")
		}
		in.Active = &b
	}
	return in, nil
}

// answer is a service result as SCIM's: the resource, or the error SCIM speaks.
func answer[T any](v T, err error) func(func(T) scim.Resource) (scim.Resource, error) {
	return func(as func(T) scim.Resource) (scim.Resource, error) {
		if err != nil {
			return scim.Resource{}, toSCIM(err)
		}
		return as(v), nil
	}
}

func (h scimUsers) Create(r *http.Request, a scim.ResourceAttributes) (scim.Resource, error) {
	in, err := userInput(a)
	if err != nil {
		return scim.Resource{}, err
	}
	return answer(h.sc.CreateUser(r.Context(), scimMeta(r), in))(userResource)
}

func (h scimUsers) Get(r *http.Request, id string) (scim.Resource, error) {
	return answer(h.sc.User(r.Context(), id))(userResource)
}

func (h scimUsers) GetAll(r *http.Request, p scim.ListRequestParams) (scim.Page, error) {
	return listPage(r, p, "userName", h.sc.Users, userResource)
}

func (h scimUsers) Replace(r *http.Request, id string, a scim.ResourceAttributes) (scim.Resource, error) {
	in, err := userInput(a)
	if err != nil {
		return scim.Resource{}, err
	}
	return answer(h.sc.ReplaceUser(r.Context(), scimMeta(r), id, in))(userResource)
}

func (h scimUsers) Delete(r *http.Request, id string) error {
	return toSCIMOrNil(h.sc.DeleteUser(r.Context(), scimMeta(r), id))
}

func toSCIMOrNil(err error) error {
	if err == nil {
		return nil
	}
	return toSCIM(err)
}

// userPatch reads PATCH operations on a user: active, displayName (or
// name.formatted), emails and userName (which may only stay as it is).
// Attributes ML Studio does not keep are accepted and ignored.
func userPatch(ops []scim.PatchOperation) (service.SCIMUserPatch, error) {
	var p service.SCIMUserPatch
	set := func(attr string, v any, remove bool) error {
		switch strings.ToLower(attr) {
		case "active":
			b, ok := v.(bool)
			if remove || !ok {
				return badValue("active must be true or false")
			}
			p.Active = &b
		case "displayname", "name.formatted":
			s, _ := v.(string)
			if _, ok := v.(string); !ok && !remove {
				return badValue("%s must be a string", attr)
			}
			p.DisplayName = &s
		case "name":
			if remove {
				empty := ""
				p.DisplayName = &empty
				return nil
			}
			s, ok, err := displayName(map[string]any{"name": v})
			if err != nil || !ok {
				return err
			}
			p.DisplayName = &s
		case "emails", "emails.value":
			s := ""
			if !remove {
				var err error
				if s, err = email(v); err != nil {
					return err
				}
				if str, ok := v.(string); ok { // emails[type eq "work"].value
					s = str
				}
			}
			p.Email = &s
		case "username":
			s, ok := v.(string)
			if remove || !ok {
				return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeMutability, Detail: "userName cannot be removed"}
			}
			p.UserName = &s
		}
		return nil
	}
	for _, op := range ops {
		remove := op.Op == scim.PatchOperationRemove
		if op.Path == nil {
			m := asObject(op.Value)
			if m == nil {
				return p, badValue("an operation without a path needs an object value")
			}
			for k, v := range m {
				if err := set(k, v, remove); err != nil {
					return p, err
				}
			}
			continue
		}
		attr := op.Path.AttributePath.AttributeName
		if sub := op.Path.AttributePath.SubAttributeName(); sub != "" {
			attr += "." + sub
		} else if sub := op.Path.SubAttributeName(); sub != "" {
			attr += "." + sub
		}
		if err := set(attr, op.Value, remove); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (h scimUsers) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	p, err := userPatch(ops)
	if err != nil {
		return scim.Resource{}, err
	}
	return answer(h.sc.PatchUser(r.Context(), scimMeta(r), id, p))(userResource)
}

// ---- Groups

type scimGroups struct{ sc *service.SCIM }

func groupResource(g service.SCIMGroup) scim.Resource {
	members := make([]map[string]any, 0, len(g.Members))
	for _, m := range g.Members {
		members = append(members, map[string]any{"value": m.ID, "display": m.UserName, "type": "User", "$ref": "Users/" + m.ID})
	}
	created := g.Created
	return scim.Resource{ID: g.ID, Attributes: scim.ResourceAttributes{"displayName": g.DisplayName, "members": members},
		Meta: scim.Meta{Created: &created, LastModified: &created}}
}

// memberValues reads the ids of a members value: [{"value": "7"}, ...].
func memberValues(v any) ([]string, error) {
	var out []string
	for _, e := range asList(v) {
		s, ok, err := getString(asObject(e), "value")
		if err != nil || !ok || s == "" {
			return nil, badValue("each member needs a value: the user's id")
		}
		out = append(out, s)
	}
	return out, nil
}

// filterValues reads the ids of members[value eq "7" or value eq "8"].
func filterValues(e filterparser.Expression) ([]string, error) {
	switch x := e.(type) {
	case *filterparser.AttributeExpression:
		s, ok := x.CompareValue.(string)
		if x.Operator != filterparser.EQ || !strings.EqualFold(x.AttributePath.AttributeName, "value") || !ok {
			return nil, errFilter
		}
		return []string{s}, nil
	case *filterparser.LogicalExpression:
		if x.Operator != filterparser.OR {
			return nil, errFilter
		}
		l, err := filterValues(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := filterValues(x.Right)
		return append(l, r...), err
	}
	return nil, errFilter
}

func (h scimGroups) Create(r *http.Request, a scim.ResourceAttributes) (scim.Resource, error) {
	name, _, err := getString(a, "displayName")
	if err != nil {
		return scim.Resource{}, err
	}
	v, _ := get(a, "members")
	members, err := memberValues(v)
	if err != nil {
		return scim.Resource{}, err
	}
	return answer(h.sc.CreateGroup(r.Context(), scimMeta(r), name, members))(groupResource)
}

func (h scimGroups) Get(r *http.Request, id string) (scim.Resource, error) {
	return answer(h.sc.Group(r.Context(), id))(groupResource)
}

func (h scimGroups) GetAll(r *http.Request, p scim.ListRequestParams) (scim.Page, error) {
	return listPage(r, p, "displayName", h.sc.Groups, groupResource)
}

// listPage is a page of a list filtered by at most "attr eq value": no
// user or group has a blank name, so such a filter finds none.
func listPage[T any](r *http.Request, p scim.ListRequestParams, attr string,
	list func(context.Context, string, service.SCIMPage) ([]T, int64, error), resource func(T) scim.Resource,
) (scim.Page, error) {
	name, filtered, err := eqFilter(p.FilterValidator, attr)
	if err != nil {
		return scim.Page{}, err
	}
	if filtered && strings.TrimSpace(name) == "" {
		return scim.Page{Resources: []scim.Resource{}}, nil
	}
	items, total, err := list(r.Context(), name, service.SCIMPage{StartIndex: p.StartIndex, Count: p.Count})
	if err != nil {
		return scim.Page{}, toSCIM(err)
	}
	out := make([]scim.Resource, 0, len(items))
	for _, it := range items {
		out = append(out, resource(it))
	}
	return scim.Page{TotalResults: int(total), Resources: out}, nil
}

func (h scimGroups) Replace(r *http.Request, id string, a scim.ResourceAttributes) (scim.Resource, error) {
	name, _, err := getString(a, "displayName")
	if err != nil {
		return scim.Resource{}, err
	}
	v, _ := get(a, "members")
	members, err := memberValues(v)
	if err != nil {
		return scim.Resource{}, err
	}
	if members == nil {
		members = []string{}
	}
	return answer(h.sc.ChangeGroup(r.Context(), scimMeta(r), id, service.SCIMGroupChange{DisplayName: &name, Members: &members}))(groupResource)
}

func (h scimGroups) Delete(r *http.Request, id string) error {
	return toSCIMOrNil(h.sc.DeleteGroup(r.Context(), scimMeta(r), id))
}

// groupPatch folds PATCH operations into one change, in order: a later
// add undoes an earlier remove of the same member and the other way round,
// and a replace of members starts over.
func groupPatch(ops []scim.PatchOperation) (service.SCIMGroupChange, error) {
	var ch service.SCIMGroupChange
	add, remove := map[string]bool{}, map[string]bool{}
	var set *[]string
	members := func(op string, ids []string) {
		switch op {
		case scim.PatchOperationReplace:
			s := ids
			if s == nil {
				s = []string{}
			}
			set, add, remove = &s, map[string]bool{}, map[string]bool{}
		case scim.PatchOperationAdd:
			for _, id := range ids {
				add[id], remove[id] = true, false
			}
		case scim.PatchOperationRemove:
			for _, id := range ids {
				remove[id], add[id] = true, false
			}
		}
	}
	for _, op := range ops {
		if op.Path == nil {
			m := asObject(op.Value)
			if m == nil || op.Op == scim.PatchOperationRemove {
				return ch, badValue("an operation without a path needs an object value")
			}
			for k, v := range m {
				switch strings.ToLower(k) {
				case "displayname":
					s, ok := v.(string)
					if !ok {
						return ch, badValue("displayName must be a string")
					}
					ch.DisplayName = &s
				case "members":
					ids, err := memberValues(v)
					if err != nil {
						return ch, err
					}
					members(op.Op, ids)
				}
			}
			continue
		}
		switch strings.ToLower(op.Path.AttributePath.AttributeName) {
		case "displayname":
			s, ok := op.Value.(string)
			if op.Op == scim.PatchOperationRemove || !ok {
				return ch, badValue("displayName is required and must be a string")
			}
			ch.DisplayName = &s
		case "members":
			switch {
			case op.Path.ValueExpression != nil:
				if op.Op != scim.PatchOperationRemove {
					return ch, badPath(op.Path)
				}
				ids, err := filterValues(op.Path.ValueExpression)
				if err != nil {
					return ch, err
				}
				members(op.Op, ids)
			case op.Op == scim.PatchOperationRemove && op.Value == nil:
				members(scim.PatchOperationReplace, nil) // remove all members
			default:
				ids, err := memberValues(op.Value)
				if err != nil {
					return ch, err
				}
				members(op.Op, ids)
			}
		}
	}
	ch.Members = set
	for id, ok := range add {
		if ok {
			ch.Add = append(ch.Add, id)
		}
	}
	for id, ok := range remove {
		if ok {
			ch.Remove = append(ch.Remove, id)
		}
	}
	return ch, nil
}

func (h scimGroups) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	ch, err := groupPatch(ops)
	if err != nil {
		return scim.Resource{}, err
	}
	return answer(h.sc.ChangeGroup(r.Context(), scimMeta(r), id, ch))(groupResource)
}
