package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/bind"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// list is the shape of every paginated answer.
type list[T any] struct {
	Items  []T   `json:"items"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

func page(c *gin.Context) (store.Page, error) {
	p, err := bind.Paging(c)
	return store.Page{Limit: p.Limit, Offset: p.Offset}, err
}

func respondList[T any](c *gin.Context, p store.Page, items []T, total int64, err error) error {
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list[T]{Items: items, Total: total, Limit: p.Limit, Offset: p.Offset})
	return nil
}

func respond(c *gin.Context, status int, v any, err error) error {
	if err != nil {
		return err
	}
	if v == nil {
		c.Status(status)
		return nil
	}
	c.JSON(status, v)
	return nil
}

func (h handlers) login(c *gin.Context) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	switch {
	case in.Username == "":
		return apierror.Required("username")
	case in.Password == "":
		return apierror.Required("password")
	}
	s, err := h.svc.Login(c.Request.Context(), meta(c), in.Username, in.Password)
	return respond(c, http.StatusOK, s, err)
}

func (h handlers) logout(c *gin.Context) error {
	switch c.Query("everywhere") {
	case "", "false":
		if err := h.svc.Logout(c.Request.Context(), meta(c), principal(c)); err != nil {
			return err
		}
		// Someone the identity provider signed in is sent there to sign out too.
		if sso := h.svc.SSO(); sso != nil {
			if u := sso.LogoutURL(c.Request.Context(), principal(c)); u != "" {
				c.JSON(http.StatusOK, gin.H{"logout_url": u})
				return nil
			}
		}
		return respond(c, http.StatusNoContent, nil, nil)
	case "true":
		return respond(c, http.StatusNoContent, nil, h.svc.SignOutEverywhere(c.Request.Context(), meta(c), principal(c)))
	default: // a typo must not pass for a plain logout
		return apierror.BadRequest("'everywhere' must be true or false")
	}
}

func (h handlers) me(c *gin.Context) error {
	u, err := h.svc.GetUser(c.Request.Context(), principal(c), principal(c).Username)
	return respond(c, http.StatusOK, u, err)
}

func (h handlers) listUsers(c *gin.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	users, total, err := h.svc.ListUsers(c.Request.Context(), principal(c), p)
	return respondList(c, p, users, total, err)
}

func (h handlers) directory(c *gin.Context) error {
	limit, err := bind.Int(c, "limit", 10, 1, 50)
	if err != nil {
		return err
	}
	people, err := h.svc.Directory(c.Request.Context(), c.Query("q"), limit)
	return respond(c, http.StatusOK, gin.H{"items": people}, err)
}

func (h handlers) createUser(c *gin.Context) error {
	var in service.NewUser
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	u, err := h.svc.CreateUser(c.Request.Context(), meta(c), principal(c), in)
	return respond(c, http.StatusCreated, u, err)
}

func (h handlers) getUser(c *gin.Context) error {
	u, err := h.svc.GetUser(c.Request.Context(), principal(c), c.Param("username"))
	return respond(c, http.StatusOK, u, err)
}

func (h handlers) updateUser(c *gin.Context) error {
	var in service.UserUpdate
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	u, err := h.svc.UpdateUser(c.Request.Context(), meta(c), principal(c), c.Param("username"), in)
	return respond(c, http.StatusOK, u, err)
}

func (h handlers) userGrants(c *gin.Context) error {
	g, err := h.svc.GrantsOf(c.Request.Context(), principal(c), c.Param("username"))
	return respond(c, http.StatusOK, gin.H{"grants": g}, err)
}

func (h handlers) listTokens(c *gin.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	all := c.Query("all") == "true"
	tokens, total, err := h.svc.ListTokens(c.Request.Context(), principal(c), c.Query("user"), all, p)
	return respondList(c, p, tokens, total, err)
}

func (h handlers) createToken(c *gin.Context) error {
	var in struct {
		Name          string `json:"name"`
		ExpiresInDays int    `json:"expires_in_days"`
	}
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	if in.ExpiresInDays < 0 || in.ExpiresInDays > 3650 {
		return apierror.BadRequest("'expires_in_days' must be from 1 to 3650 (0 for the default)")
	}
	t, err := h.svc.CreateToken(c.Request.Context(), meta(c), principal(c), in.Name, time.Duration(in.ExpiresInDays)*24*time.Hour)
	return respond(c, http.StatusCreated, t, err)
}

func (h handlers) revokeToken(c *gin.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 63) // ids are signed 64-bit in the database
	if err != nil {
		return apierror.BadRequest("'id' must be a token id")
	}
	return respond(c, http.StatusNoContent, nil, h.svc.RevokeToken(c.Request.Context(), meta(c), principal(c), id))
}

func (h handlers) listGroups(c *gin.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	groups, total, err := h.svc.ListGroups(c.Request.Context(), p)
	return respondList(c, p, groups, total, err)
}

func (h handlers) createGroup(c *gin.Context) error {
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		IdPManaged  bool   `json:"idp_managed"`
	}
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	g, err := h.svc.CreateGroupManaged(c.Request.Context(), meta(c), principal(c), in.Name, in.Description, in.IdPManaged)
	return respond(c, http.StatusCreated, g, err)
}

func (h handlers) members(c *gin.Context) error {
	m, err := h.svc.Members(c.Request.Context(), principal(c), c.Param("group"))
	return respond(c, http.StatusOK, gin.H{"members": m}, err)
}

func (h handlers) addMember(c *gin.Context) error {
	err := h.svc.SetMember(c.Request.Context(), meta(c), principal(c), c.Param("group"), c.Param("username"), true)
	return respond(c, http.StatusNoContent, nil, err)
}

func (h handlers) removeMember(c *gin.Context) error {
	err := h.svc.SetMember(c.Request.Context(), meta(c), principal(c), c.Param("group"), c.Param("username"), false)
	return respond(c, http.StatusNoContent, nil, err)
}

func (h handlers) registerElement(c *gin.Context) error {
	var in struct {
		Name   string `json:"name"`
		Parent string `json:"parent"`
	}
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	if in.Name == "" {
		return apierror.Required("name")
	}
	e, err := h.svc.RegisterElement(c.Request.Context(), meta(c), principal(c), in.Name, in.Parent, h.registrar(c))
	return respond(c, http.StatusCreated, e, err)
}

// RegistrarHeader carries the secret ml_studio proves itself with.
const RegistrarHeader = "X-ML-Studio-Registrar"

func (h handlers) registrar(c *gin.Context) bool {
	return h.svc.IsRegistrar(c.GetHeader(RegistrarHeader))
}

func (h handlers) renameElement(c *gin.Context) error {
	var in struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	switch {
	case in.From == "":
		return apierror.Required("from")
	case in.To == "":
		return apierror.Required("to")
	}
	return respond(c, http.StatusNoContent, nil, h.svc.RenameElement(c.Request.Context(), meta(c), principal(c), in.From, in.To, h.registrar(c)))
}

func (h handlers) deleteElement(c *gin.Context) error {
	element := c.Query("element")
	if element == "" {
		return apierror.Required("element")
	}
	return respond(c, http.StatusNoContent, nil, h.svc.DeleteElement(c.Request.Context(), meta(c), principal(c), element, h.registrar(c)))
}

func (h handlers) listElements(c *gin.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListElements(c.Request.Context(), principal(c), c.Query("kind"), p)
	return respondList(c, p, items, total, err)
}

func (h handlers) accessTo(c *gin.Context) error {
	element := c.Query("element")
	if element == "" {
		return apierror.Required("element")
	}
	g, err := h.svc.AccessTo(c.Request.Context(), principal(c), element)
	return respond(c, http.StatusOK, gin.H{"element": element, "grants": g}, err)
}

func (h handlers) changeGrant(c *gin.Context, revoke bool) error {
	var in service.GrantRequest
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	status := http.StatusCreated
	if revoke {
		status = http.StatusNoContent
	}
	return respond(c, status, nil, h.svc.ChangeGrant(c.Request.Context(), meta(c), principal(c), in, revoke))
}

func (h handlers) grant(c *gin.Context) error  { return h.changeGrant(c, false) }
func (h handlers) revoke(c *gin.Context) error { return h.changeGrant(c, true) }

// The decision endpoints each take their own fields: a field of another
// endpoint is as unknown as any other.
type subjectFields struct {
	Token     string `json:"token"`
	User      string `json:"user"`
	Component string `json:"component"`
	Operation string `json:"operation"`
}

func (f subjectFields) request() service.AuthzRequest {
	return service.AuthzRequest{Token: f.Token, User: f.User, Component: f.Component, Operation: f.Operation}
}

func (h handlers) authorize(c *gin.Context) error {
	var in struct {
		subjectFields
		Element string `json:"element"`
	}
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	r := in.request()
	r.Element = in.Element
	a, err := h.svc.Authorize(c.Request.Context(), meta(c), maybePrincipal(c), r)
	return respond(c, http.StatusOK, a, err)
}

func (h handlers) authorizeBatch(c *gin.Context) error {
	var in struct {
		subjectFields
		Elements   []string `json:"elements"`
		Operations []string `json:"operations"`
	}
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	r := in.request()
	r.Elements, r.Operations = in.Elements, in.Operations
	a, err := h.svc.AuthorizeBatch(c.Request.Context(), meta(c), maybePrincipal(c), r)
	return respond(c, http.StatusOK, a, err)
}

func (h handlers) readable(c *gin.Context) error {
	var in struct {
		subjectFields
		Kind string `json:"kind"`
	}
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	r := in.request()
	r.Kind = in.Kind
	a, err := h.svc.Readable(c.Request.Context(), maybePrincipal(c), r)
	return respond(c, http.StatusOK, a, err)
}

func (h handlers) audit(c *gin.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	f := store.AuditFilter{Actor: c.Query("actor"), Action: c.Query("action"), Target: c.Query("target"), Result: c.Query("result")}
	for _, q := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if raw := c.Query(q.name); raw != "" {
			t, err := time.Parse(time.RFC3339, raw)
			if err != nil {
				return apierror.BadRequest("'%s' must be an RFC 3339 time such as 2026-01-02T15:04:05Z", q.name)
			}
			*q.dst = t
		}
	}
	entries, total, err := h.svc.Audit(c.Request.Context(), principal(c), f, p)
	return respondList(c, p, entries, total, err)
}
