package validate

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	digestRe = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	// An exact release: at least MAJOR.MINOR.PATCH, optionally followed by a
	// variant (-bookworm, -alpine, -slim-bookworm...).
	exactTagRe = regexp.MustCompile(`^v?\d+\.\d+\.\d+([-_.][0-9A-Za-z][0-9A-Za-z._-]*)?$`)
	// MAJOR.MINOR, exact for images versioned that way.
	twoPartTagRe = regexp.MustCompile(`^\d+\.\d+([-_.][0-9A-Za-z][0-9A-Za-z._-]*)?$`)
)

// twoPartVersioned are images whose releases are MAJOR.MINOR: PostgreSQL
// (since 10) numbers its releases 15.10, 15.11, ...; "15" is the floating tag.
var twoPartVersioned = map[string]bool{"postgres": true, "library/postgres": true, "docker.io/library/postgres": true}

// CheckPinned returns why an image reference may name different images over
// time, or nil when it names one release: a digest (name@sha256:...), or a
// tag that is an exact version (1.26.8-bookworm, 8.0.40; not latest, 8.0 or
// a bare name).
func CheckPinned(ref string) error {
	if ref == "" {
		return fmt.Errorf("empty image reference")
	}
	if strings.Contains(ref, "$") {
		return fmt.Errorf("%s: built from a variable, which the file alone does not pin", ref)
	}
	name, digest, hasDigest := strings.Cut(ref, "@")
	if hasDigest {
		if !digestRe.MatchString(digest) {
			return fmt.Errorf("%s: malformed digest %q", ref, digest)
		}
		return nil
	}
	slash := strings.LastIndexByte(name, '/')
	colon := strings.LastIndexByte(name, ':')
	if colon <= slash {
		return fmt.Errorf("%s: no tag (means :latest)", ref)
	}
	repo, tag := name[:colon], name[colon+1:]
	switch {
	case tag == "latest":
		return fmt.Errorf("%s: :latest moves", ref)
	case exactTagRe.MatchString(tag):
		return nil
	case twoPartVersioned[repo] && twoPartTagRe.MatchString(tag):
		return nil
	}
	return fmt.Errorf("%s: tag %q is not an exact version (want e.g. 1.2.3-variant, or @sha256:...)", ref, tag)
}
