package chain

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// APIInfo locates a Lotus full node's JSON-RPC API: an address (a
// multiaddr such as /ip4/127.0.0.1/tcp/1234/http, or a URL) and an
// optional bearer token. The token is unexported and never printed:
// String and the errors of this package show only the address.
type APIInfo struct {
	Addr  string
	token string
}

// Environment variables and files consulted the way Lotus's own tools
// consult them.
const (
	// EnvFullNodeAPIInfo holds "token:multiaddr" (or just a multiaddr).
	EnvFullNodeAPIInfo = "FULLNODE_API_INFO"
	// EnvLotusPath names the node's repo directory.
	EnvLotusPath = "LOTUS_PATH"
	// DefaultRepo is the repo used when neither is set.
	DefaultRepo = "~/.lotus"
	// apiVersionPath is the path of the v1 API, whose method signatures
	// the client uses.
	apiVersionPath = "/rpc/v1"
)

// NewAPIInfo pairs an address with a token.
func NewAPIInfo(addr, token string) APIInfo { return APIInfo{Addr: addr, token: token} }

// HasToken reports whether a token will be presented.
func (a APIInfo) HasToken() bool { return a.token != "" }

// String shows the address and whether a token is set, never the token.
func (a APIInfo) String() string {
	if a.token == "" {
		return a.Addr
	}
	return "<token>:" + a.Addr
}

// GoString keeps %#v from printing the token.
func (a APIInfo) GoString() string {
	return fmt.Sprintf("chain.APIInfo{Addr: %q, token: <redacted>}", a.Addr)
}

// ParseAPIInfo reads the FULLNODE_API_INFO form: "token:address", or a
// bare address (a multiaddr, which starts with "/", or an http(s)/ws(s)
// URL). Whatever precedes the first colon of anything else is the token,
// quotes around it removed. Errors never quote the value, which may hold
// the token in a shape nobody foresaw; they say which part is wrong.
func ParseAPIInfo(s string) (APIInfo, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return APIInfo{}, errors.New("API info is empty")
	}
	info := APIInfo{Addr: s}
	if i := strings.IndexByte(s, ':'); i >= 0 && !strings.HasPrefix(s, "/") && !isURLScheme(s[:i]) {
		info = APIInfo{Addr: strings.TrimSpace(s[i+1:]), token: unquote(strings.TrimSpace(s[:i]))}
		if info.token == "" {
			return APIInfo{}, errors.New("API info: empty token before the first ':' (want token:address)")
		}
	} else if !strings.HasPrefix(s, "/") && !strings.Contains(s, "://") {
		return APIInfo{}, errors.New("API info is neither token:address nor an address (value not shown: it may hold the token)")
	}
	if _, err := info.DialURL(); err != nil {
		return APIInfo{}, err
	}
	return info, nil
}

// looksLikeJWT reports whether s is shaped like a Lotus API token (a JWT,
// whose header segment always base64-encodes to "eyJ…"), which would be
// printed if taken for a host name.
func looksLikeJWT(s string) bool {
	return strings.HasPrefix(s, "eyJ") && strings.Contains(s, ".")
}

// isURLScheme reports whether s is a scheme DialURL accepts, which tells
// "http://host" from "token:address".
func isURLScheme(s string) bool {
	switch strings.ToLower(s) {
	case "http", "https", "ws", "wss":
		return true
	}
	return false
}

// unquote removes one pair of matching quotes, as a shell-quoting slip
// leaves them.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// APIInfoFromRepo reads a Lotus repo directory: its "api" file holds the
// node's multiaddr and its "token" file the token (a repo without a token
// file gives read access only on most nodes, so that is not an error). A
// leading "~/" is the home directory.
func APIInfoFromRepo(dir string) (APIInfo, error) {
	dir, err := expandHome(dir)
	if err != nil {
		return APIInfo{}, err
	}
	addr, err := os.ReadFile(filepath.Join(dir, "api"))
	if err != nil {
		return APIInfo{}, fmt.Errorf("lotus repo %s: API address (is the node running?): %w", dir, err)
	}
	info := APIInfo{Addr: strings.TrimSpace(string(addr))}
	tok, err := os.ReadFile(filepath.Join(dir, "token"))
	switch {
	case err == nil:
		info.token = unquote(strings.TrimSpace(string(tok)))
	case !errors.Is(err, os.ErrNotExist):
		return APIInfo{}, fmt.Errorf("lotus repo %s: token file: %w", dir, err)
	}
	if _, err := info.DialURL(); err != nil {
		return APIInfo{}, fmt.Errorf("lotus repo %s: %w", dir, err)
	}
	return info, nil
}

// FindAPIInfo locates the node as Lotus's tools do: FULLNODE_API_INFO if
// set, else the repo directory (repo if non-empty, else LOTUS_PATH, else
// ~/.lotus). getenv is passed in (os.Getenv in the CLI) so callers decide
// what the environment is.
func FindAPIInfo(getenv func(string) string, repo string) (APIInfo, error) {
	if v := getenv(EnvFullNodeAPIInfo); v != "" {
		info, err := ParseAPIInfo(v)
		if err != nil {
			return APIInfo{}, fmt.Errorf("%s: %w", EnvFullNodeAPIInfo, err)
		}
		return info, nil
	}
	if repo == "" {
		repo = getenv(EnvLotusPath)
	}
	if repo == "" {
		repo = DefaultRepo
	}
	return APIInfoFromRepo(repo)
}

func expandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("expand %s: %w", p, err)
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~")), nil
}

// DialURL returns the URL of the node's v1 API. A multiaddr ending in
// /ws or /wss dials a websocket; /https uses TLS; /http or no transport
// uses plain HTTP. A URL gets the API path appended, as Lotus does. Errors
// name what is wrong, never the address itself.
func (a APIInfo) DialURL() (string, error) {
	if strings.HasPrefix(a.Addr, "/") {
		return multiaddrURL(a.Addr)
	}
	u, err := url.Parse(a.Addr)
	if err != nil {
		return "", errors.New("API address: not a multiaddr or a URL")
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return "", errors.New("API address: want a multiaddr or an http(s)/ws(s) URL")
	}
	if u.Host == "" {
		return "", errors.New("API address: URL has no host")
	}
	if looksLikeJWT(u.Hostname()) {
		return "", errors.New("API address: the host looks like a token; give token:address")
	}
	if u.User != nil {
		return "", errors.New("API address: URL carries credentials; give the token as token:address")
	}
	return strings.TrimSuffix(a.Addr, "/") + apiVersionPath, nil
}

// multiaddrURL converts the multiaddrs Lotus writes (/ip4|ip6|dns|dns4|
// dns6/<host>/tcp/<port>[/http|/https|/ws|/wss]) to a URL.
func multiaddrURL(ma string) (string, error) {
	parts := strings.Split(strings.TrimPrefix(ma, "/"), "/")
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("API multiaddr: %s", why)
	}
	if len(parts) < 4 {
		return bad("want /<ip4|ip6|dns|dns4|dns6>/<host>/tcp/<port>[/http|/https|/ws|/wss]")
	}
	host := parts[1]
	switch parts[0] {
	case "ip4":
		if ip := net.ParseIP(host); ip == nil || ip.To4() == nil {
			return bad("bad IPv4 address")
		}
	case "ip6":
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
			return bad("bad IPv6 address")
		}
	case "dns", "dns4", "dns6":
		if host == "" || strings.ContainsAny(host, ":@ ") {
			return bad("bad host name")
		}
		if looksLikeJWT(host) {
			return bad("the host looks like a token; give token:address")
		}
	default:
		return bad("unsupported protocol (want ip4, ip6, dns, dns4 or dns6)")
	}
	if parts[2] != "tcp" {
		return bad("want /tcp after the host")
	}
	if port, err := strconv.ParseUint(parts[3], 10, 16); err != nil || port == 0 {
		return bad("bad TCP port")
	}
	scheme := "http"
	switch rest := parts[4:]; {
	case len(rest) == 0:
	case len(rest) == 1 && (rest[0] == "http" || rest[0] == "https" || rest[0] == "ws" || rest[0] == "wss"):
		scheme = rest[0]
	default:
		return bad("unsupported transport (want http, https, ws or wss)")
	}
	return scheme + "://" + net.JoinHostPort(host, parts[3]) + apiVersionPath, nil
}
