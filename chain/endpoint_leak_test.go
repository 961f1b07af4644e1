package chain_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/chain"
)

// leakSecret is the part of a token that must never be shown; every shape
// below hides it somewhere in a malformed FULLNODE_API_INFO or repo.
const leakSecret = "c2VjcmV0LXNpZ25hdHVyZQ"

// No error of endpoint parsing, and no way of printing what it returns,
// shows any part of the token, whatever is wrong with the input.
func TestAPIInfoNeverShowsToken(t *testing.T) {
	tok := "eyJhbGciOiJIUzI1NiJ9.eyJBbGxvdyI6WyJyZWFkIl19." + leakSecret
	addrs := []string{"/ip4/127.0.0.1/tcp/1234/http", "/ip4/300.0.0.1/tcp/1", "http://", "garbage", "", "/unix/x", "ftp://h:1",
		"/ip4/127.0.0.1/tcp/99999", tok, ":" + tok, "/ip4/127.0.0.1/tcp/1234/http/" + tok}
	var inputs []string
	for _, a := range addrs {
		for _, form := range []string{
			"%[1]s:%[2]s", `"%[1]s":%[2]s`, `'%[1]s':%[2]s`, `"%[1]s:%[2]s"`, "%[1]s :%[2]s", "Bearer %[1]s:%[2]s",
			"%[1]s\n:%[2]s", "%[1]s:%[1]s:%[2]s", "%[2]s:%[1]s", "%[2]s%[1]s", "%[1]s", "%[1]s+/x=:%[2]s", "%[1]s@%[2]s",
		} {
			inputs = append(inputs, fmt.Sprintf(form, tok, a))
		}
	}
	check := func(what string, info chain.APIInfo, err error) {
		t.Helper()
		shown := fmt.Sprintf("%v|%+v|%#v|%s|%v|%+v|%#v", info, info, info, info.String(), err, err, err)
		if u, uerr := info.DialURL(); uerr == nil {
			shown += u
		} else {
			shown += uerr.Error()
		}
		if strings.Contains(shown, leakSecret) {
			t.Errorf("%s shows the token: %s", what, shown)
		}
	}
	for _, in := range inputs {
		info, err := chain.ParseAPIInfo(in)
		check(fmt.Sprintf("ParseAPIInfo(%q)", in), info, err)
		getenv := func(k string) string {
			if k == chain.EnvFullNodeAPIInfo {
				return in
			}
			return ""
		}
		info, err = chain.FindAPIInfo(getenv, t.TempDir())
		check(fmt.Sprintf("FindAPIInfo(%q)", in), info, err)
	}
	// A repo whose api file is malformed or holds the token itself.
	for _, a := range addrs {
		for _, token := range []string{tok, `"` + tok + `"`, tok + "\n" + tok} {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "api"), []byte(a), 0o600)
			os.WriteFile(filepath.Join(dir, "token"), []byte(token), 0o600)
			info, err := chain.APIInfoFromRepo(dir)
			check(fmt.Sprintf("repo api %q", a), info, err)
		}
	}
}
