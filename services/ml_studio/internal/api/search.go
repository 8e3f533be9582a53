package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// search describes a list MLflow cannot filter by our readable set, so
// ml_studio filters each MLflow page and refills until the caller's page is
// full.
type search struct {
	upMethod, upPath string
	kind             string // element kind of the readable set
	listKey          string // the array in MLflow's answer
	fields           []string
	maxResults       int // largest max_results accepted
	defaultMax       int // MLflow's default page size
	element          func(item json.RawMessage) string
	// narrow, when MLflow can filter by the readable elements themselves,
	// is the filter clause naming them ("" or nil: it cannot).
	narrow func(elements []string) string
}

// cursor is our page token: an MLflow page token and how many items of that
// page were already returned. It walks MLflow's own order, so nothing is
// repeated or skipped while the underlying list is stable.
type cursor struct {
	Token string `json:"t,omitempty"`
	Skip  int    `json:"s,omitempty"`
}

func (c cursor) encode() string {
	data, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(data)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(data, &c) != nil || c.Skip < 0 {
		return c, badParam("page_token", "a page token from a previous answer")
	}
	return c, nil
}

// inFilter is MLflow's filter clause "attr IN ('v1','v2')", or "" for no
// values; the values must need no quoting.
func inFilter(attr string, values []string) string {
	if len(values) == 0 {
		return ""
	}
	return attr + " IN ('" + strings.Join(values, "','") + "')"
}

// maxNarrow is the most readable elements a search names to MLflow in its
// filter; with more, ml_studio filters MLflow's pages instead.
const maxNarrow = 1000

// maxScan bounds the MLflow pages one call reads, so a caller who may see
// almost nothing of a huge list gets a short page and a token rather than
// a request that never ends.
const maxScan = 50

func (h handlers) filteredSearch(c *gin.Context, s search) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	want, err := p.intParam("max_results", s.defaultMax, s.maxResults)
	if err != nil {
		return err
	}
	token, err := p.str("page_token")
	if err != nil {
		return err
	}
	cur, err := decodeCursor(token)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	set, err := h.Access.Readable(ctx, credential(c), s.kind)
	if err != nil {
		return err
	}
	batch := max(want, 200)
	if set.Everything() {
		batch = want // nothing is filtered out: one MLflow page is one answer
	}
	if names, listed := set.Listed(); listed && s.narrow != nil && len(names) <= maxNarrow {
		// A caller who may read few of many: MLflow is asked for those
		// alone, so one MLflow page is one answer whatever the list's size.
		// Every item is still checked below: the clause only saves work.
		if len(names) == 0 {
			c.JSON(http.StatusOK, gin.H{s.listKey: []any{}})
			return nil
		}
		if clause := s.narrow(names); clause != "" {
			filter, err := p.str("filter")
			if err != nil {
				return err
			}
			if filter != "" {
				clause = filter + " AND " + clause
			}
			p["filter"], batch = clause, want
		}
	}
	batch = min(batch, s.maxResults)

	items := make([]json.RawMessage, 0, want)
	var next *cursor
	for scanned := 0; ; scanned++ {
		q := p.only(s.fields...)
		q["max_results"] = batch
		if cur.Token != "" {
			q["page_token"] = cur.Token
		}
		resp, err := h.call(ctx, s.upMethod, s.upPath, q)
		if err != nil || !resp.OK() {
			return respondErr(c, orUpstream(resp, err))
		}
		page := map[string]json.RawMessage{}
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return apierror.BadGateway(err, "MLflow gave an unreadable answer")
		}
		var list []json.RawMessage
		if raw, ok := page[s.listKey]; ok {
			if err := json.Unmarshal(raw, &list); err != nil {
				return apierror.BadGateway(err, "MLflow gave an unreadable answer")
			}
		}
		var upNext string
		if raw, ok := page["next_page_token"]; ok {
			_ = json.Unmarshal(raw, &upNext)
		}
		for i := cur.Skip; i < len(list); i++ {
			if !set.Has(s.element(list[i])) {
				continue
			}
			items = append(items, list[i])
			if len(items) == want {
				if i+1 < len(list) {
					next = &cursor{Token: cur.Token, Skip: i + 1}
				} else if upNext != "" {
					next = &cursor{Token: upNext}
				}
				break
			}
		}
		if len(items) == want || upNext == "" {
			break
		}
		cur = cursor{Token: upNext}
		if scanned+1 >= maxScan {
			next = &cur
			break
		}
	}
	out := gin.H{s.listKey: items}
	if next != nil {
		out["next_page_token"] = next.encode()
	}
	c.JSON(http.StatusOK, out)
	return nil
}
