package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Port is a TCP port number, 1–65535.
type Port uint16

// Decode implements envconfig.Decoder.
func (p *Port) Decode(v string) error {
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16)
	if err != nil || n == 0 {
		return fmt.Errorf("must be a port number from 1 to 65535")
	}
	*p = Port(n)
	return nil
}

// HTTPURL is an absolute http or https URL without a trailing slash.
type HTTPURL string

// Decode implements envconfig.Decoder.
func (u *HTTPURL) Decode(v string) error {
	parsed, err := url.Parse(strings.TrimSpace(v))
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return fmt.Errorf("must be an absolute http:// or https:// URL")
	}
	*u = HTTPURL(strings.TrimRight(parsed.String(), "/"))
	return nil
}

// String returns the URL.
func (u HTTPURL) String() string { return string(u) }
