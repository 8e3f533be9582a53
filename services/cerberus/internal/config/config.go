// Package config is cerberus's settings, read from CERBERUS_* variables.
package config

import (
	"net/url"
	"slices"
	"time"

	pkgconfig "github.com/ml-studio/ml-studio/pkg/config"
	"github.com/ml-studio/ml-studio/pkg/logging"
	"github.com/ml-studio/ml-studio/pkg/server"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// Prefix starts every variable's name.
const Prefix = "CERBERUS"

// Aliases give the embedded shared settings distinct field names.
type (
	ServerConfig  = server.Config
	LoggingConfig = logging.Config
)

// Config is every setting cerberus reads.
type Config struct {
	Port         pkgconfig.Port `default:"5000" desc:"TCP port to listen on"`
	DatabaseDSN  store.DSN      `split_words:"true" default:"sqlite:auth.db" desc:"database: sqlite:PATH (embedded; the file's base name is the database name) or mysql://user:password@host:3306/auth"`
	DatabaseWait time.Duration  `split_words:"true" default:"60s" desc:"at start, how long to wait for the database before giving up"`

	AdminUsername         string        `split_words:"true" default:"admin" desc:"the first admin's username, created when the database has no user"`
	AdminPassword         string        `split_words:"true" desc:"the first admin's password; when empty one is generated and printed once on standard output"`
	PasswordMinLength     int           `split_words:"true" default:"12" desc:"minimum password length"`
	BcryptCost            int           `split_words:"true" default:"10" desc:"bcrypt cost of password hashes (4-31)"`
	SessionTTL            time.Duration `split_words:"true" default:"12h" desc:"how long a login session lasts"`
	TokenDefaultTTL       time.Duration `split_words:"true" default:"2160h" desc:"lifetime of an API token created without expires_in_days (90 days)"`
	TokenMaxTTL           time.Duration `split_words:"true" default:"8760h" desc:"longest lifetime an API token may be given (365 days)"`
	RegistrarSecret       string        `split_words:"true" desc:"secret ml_studio sends to register experiments and models (ML_STUDIO_REGISTRAR_SECRET); when set, nobody else but admins may, so no one can claim an MLflow object before it is registered. At least 16 characters. Required with a MySQL database unless CERBERUS_ALLOW_OPEN_REGISTRATION=true; on the embedded SQLite its absence is only logged as a warning"`
	AllowOpenRegistration bool          `split_words:"true" default:"false" desc:"true lets cerberus run on MySQL without CERBERUS_REGISTRAR_SECRET. Unsafe: anyone with create on a project can then register, and so take manage on, MLflow experiments and models that exist but are not registered yet (experiment 0, anything made before ML Studio)"`
	LoginMaxFailures      int           `split_words:"true" default:"5" desc:"failed logins per account or address before it is throttled: a locked account refuses even its right password, a locked address only wrong ones (429)"`
	LoginWindow           time.Duration `split_words:"true" default:"15m" desc:"window in which failed logins are counted"`
	LoginLockout          time.Duration `split_words:"true" default:"15m" desc:"how long a throttled account or address must wait"`
	AuditRetention        time.Duration `split_words:"true" default:"0s" desc:"how long audit entries are kept; older ones are deleted every hour. 0 keeps them forever"`
	CacheSync             time.Duration `split_words:"true" default:"100ms" desc:"decisions are answered from memory, forgotten at once on a change made through this process; with several replicas, one's change reaches the others within this interval (they read the access change log), and so does the access revision ml_studio follows. 0 turns the cache off: every decision asks the database (the access revision is still read every 100ms)"`
	SCIMToken             string        `envconfig:"SCIM_TOKEN" desc:"bearer secret the identity provider sends to SCIM 2.0 provisioning at /scim/v2 (Users, Groups); empty turns SCIM off. At least 32 characters (openssl rand -hex 32); kept only as its hash, never logged"`
	OIDC
	ServerConfig
	LoggingConfig
}

// OIDC is single sign-on with an OpenID provider; off while Issuer is empty.
type OIDC struct {
	Issuer         string        `envconfig:"OIDC_ISSUER" desc:"OpenID provider's issuer URL, exactly as its discovery document says (Keycloak: https://HOST/realms/REALM); empty turns single sign-on off"`
	ClientID       string        `envconfig:"OIDC_CLIENT_ID" desc:"client id registered at the provider for ML Studio (authorization code with PKCE)"`
	ClientSecret   string        `envconfig:"OIDC_CLIENT_SECRET" desc:"that client's secret (empty for a public client)"`
	RedirectURL    string        `envconfig:"OIDC_REDIRECT_URL" desc:"the callback as the browser reaches it, registered at the provider: https://ML-STUDIO-HOST/api/auth/oidc/callback"`
	PostLogoutURL  string        `envconfig:"OIDC_POST_LOGOUT_URL" desc:"where the provider sends the browser after signing out (registered there too); default: the sign-in page beside the callback"`
	Scopes         []string      `envconfig:"OIDC_SCOPES" default:"openid,profile,email" desc:"scopes asked at sign-in (comma-separated); openid is required"`
	Audience       string        `envconfig:"OIDC_AUDIENCE" desc:"audience a provider-issued bearer token must name to be accepted; default the client id"`
	UsernameClaim  string        `envconfig:"OIDC_USERNAME_CLAIM" default:"preferred_username" desc:"claim that gives the ML Studio username (lower-cased); a dotted name reads inside an object"`
	GroupsClaim    string        `envconfig:"OIDC_GROUPS_CLAIM" default:"groups" desc:"claim listing the user's groups, synced at each sign-in into identity-provider-managed groups of the same names; empty syncs none"`
	AdminGroup     string        `envconfig:"OIDC_ADMIN_GROUP" desc:"provider group whose members are admins (and whose non-members are not); empty leaves the admin flag to cerberus's admins"`
	ProviderName   string        `envconfig:"OIDC_PROVIDER_NAME" default:"single sign-on" desc:"name on the sign-in button: Sign in with NAME"`
	CreateUsers    bool          `envconfig:"OIDC_CREATE_USERS" default:"true" desc:"create the account of a provider identity at its first sign-in or bearer token (just in time); false: an admin creates it first and the identity links to it by username (see CERBERUS_OIDC_LINK_BY_USERNAME)"`
	LinkByUsername bool          `envconfig:"OIDC_LINK_BY_USERNAME" default:"false" desc:"let a provider identity take the existing local account of its username that no identity holds yet. Only when the provider alone decides usernames: otherwise whoever gets a username there takes the account here"`
	Timeout        time.Duration `envconfig:"OIDC_TIMEOUT" default:"10s" desc:"time allowed for one call to the provider"`
	PasswordSignIn bool          `envconfig:"PASSWORD_SIGN_IN" default:"true" desc:"false refuses passwords (sign-in and basic credentials) once single sign-on is on: people sign in with the provider, scripts use API tokens or provider tokens"`
}

// Enabled says whether single sign-on is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// validate checks the single sign-on settings together.
func (o *OIDC) validate() error {
	if !o.Enabled() {
		if !o.PasswordSignIn {
			return &pkgconfig.Error{Key: Prefix + "_PASSWORD_SIGN_IN", Reason: "false needs single sign-on (CERBERUS_OIDC_ISSUER): nobody could sign in"}
		}
		return nil
	}
	for _, u := range []struct{ key, value string }{{"OIDC_ISSUER", o.Issuer}, {"OIDC_REDIRECT_URL", o.RedirectURL}, {"OIDC_POST_LOGOUT_URL", o.PostLogoutURL}} {
		if u.value == "" && u.key == "OIDC_POST_LOGOUT_URL" {
			continue
		}
		p, err := url.Parse(u.value)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Fragment != "" {
			return &pkgconfig.Error{Key: Prefix + "_" + u.key, Value: u.value, Reason: "must be an absolute http:// or https:// URL"}
		}
	}
	switch {
	case o.ClientID == "":
		return &pkgconfig.Error{Key: Prefix + "_OIDC_CLIENT_ID", Reason: "is required with CERBERUS_OIDC_ISSUER"}
	case !slices.Contains(o.Scopes, "openid"):
		return &pkgconfig.Error{Key: Prefix + "_OIDC_SCOPES", Reason: "must include openid"}
	case o.UsernameClaim == "":
		return &pkgconfig.Error{Key: Prefix + "_OIDC_USERNAME_CLAIM", Reason: "is required with CERBERUS_OIDC_ISSUER"}
	case o.Timeout < time.Second || o.Timeout > time.Minute:
		return &pkgconfig.Error{Key: Prefix + "_OIDC_TIMEOUT", Reason: "must be from 1s to 1m"}
	}
	if o.PostLogoutURL == "" {
		p, _ := url.Parse(o.RedirectURL)
		o.PostLogoutURL = (&url.URL{Scheme: p.Scheme, Host: p.Host, Path: "/signin"}).String()
	}
	return nil
}

// Validate checks what one field alone cannot.
func (c *Config) Validate() error {
	if c.SCIMToken != "" && len(c.SCIMToken) < 32 {
		return &pkgconfig.Error{Key: Prefix + "_SCIM_TOKEN", Reason: "must be at least 32 characters (openssl rand -hex 32)"}
	}
	if err := c.OIDC.validate(); err != nil {
		return err
	}
	switch {
	case c.PasswordMinLength < 8 || c.PasswordMinLength > 72:
		return &pkgconfig.Error{Key: Prefix + "_PASSWORD_MIN_LENGTH", Reason: "must be from 8 to 72"}
	case c.BcryptCost < 4 || c.BcryptCost > 31:
		return &pkgconfig.Error{Key: Prefix + "_BCRYPT_COST", Reason: "must be from 4 to 31"}
	case c.SessionTTL < time.Minute:
		return &pkgconfig.Error{Key: Prefix + "_SESSION_TTL", Reason: "must be at least 1m"}
	case c.TokenMaxTTL < time.Hour || c.TokenDefaultTTL < time.Minute || c.TokenDefaultTTL > c.TokenMaxTTL:
		return &pkgconfig.Error{Key: Prefix + "_TOKEN_DEFAULT_TTL", Reason: "must be at least 1m and at most CERBERUS_TOKEN_MAX_TTL (at least 1h)"}
	case c.RegistrarSecret != "" && len(c.RegistrarSecret) < 16:
		return &pkgconfig.Error{Key: Prefix + "_REGISTRAR_SECRET", Reason: "must be at least 16 characters"}
	case c.RegistrarSecret == "" && c.DatabaseDSN.Dialect != store.SQLite && !c.AllowOpenRegistration:
		// A MySQL database means a shared deployment: without the secret any
		// user with create on a project can claim existing MLflow objects.
		return &pkgconfig.Error{Key: Prefix + "_REGISTRAR_SECRET", Reason: "must be set with a MySQL database: give cerberus and ml_studio (ML_STUDIO_REGISTRAR_SECRET) the same random value of at least 16 characters, e.g. openssl rand -hex 24" +
			" (CERBERUS_ALLOW_OPEN_REGISTRATION=true runs without it, letting anyone with create on a project claim existing MLflow experiments and models)"}
	case c.LoginMaxFailures < 1:
		return &pkgconfig.Error{Key: Prefix + "_LOGIN_MAX_FAILURES", Reason: "must be at least 1"}
	case c.AuditRetention != 0 && c.AuditRetention < 24*time.Hour:
		return &pkgconfig.Error{Key: Prefix + "_AUDIT_RETENTION", Reason: "must be 0 (keep forever) or at least 24h"}
	case c.CacheSync < 0 || c.CacheSync > time.Minute:
		return &pkgconfig.Error{Key: Prefix + "_CACHE_SYNC", Reason: "must be from 0 to 1m"}
	case c.AdminPassword != "" && len(c.AdminPassword) < c.PasswordMinLength:
		return &pkgconfig.Error{Key: Prefix + "_ADMIN_PASSWORD", Reason: "must be at least CERBERUS_PASSWORD_MIN_LENGTH characters"}
	}
	// The client address feeds login throttling: a typo must not go unnoticed.
	return c.CheckProxies(Prefix)
}

// RegistrationWarning is what to log at start about the registrar secret:
// empty when it is set.
func (c *Config) RegistrationWarning() string {
	switch {
	case c.RegistrarSecret != "":
		return ""
	case c.DatabaseDSN.Dialect == store.SQLite:
		return Prefix + "_REGISTRAR_SECRET is not set: anyone allowed to create in a project may register experiment and model elements directly, " +
			"claiming MLflow objects nobody registered yet. Fine for a trial on the embedded SQLite; set it (and ML_STUDIO_REGISTRAR_SECRET) before sharing this server"
	default:
		return "UNSAFE: " + Prefix + "_ALLOW_OPEN_REGISTRATION=true and no " + Prefix + "_REGISTRAR_SECRET: anyone allowed to create in a project may register " +
			"experiment:<id> and registered_model:<name> elements directly at cerberus and so take manage on existing MLflow experiments and models " +
			"(experiment 0, anything made before ML Studio) with their runs, artifacts and versions. Set " + Prefix + "_REGISTRAR_SECRET and ML_STUDIO_REGISTRAR_SECRET"
	}
}

// Load reads and validates the settings.
func Load() (Config, error) {
	var c Config
	err := pkgconfig.Load(Prefix, &c)
	return c, err
}

// Table documents every variable.
func Table() (string, error) {
	return pkgconfig.Table(Prefix, &Config{})
}
