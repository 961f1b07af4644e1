package main

import (
	"strings"

	"github.com/tvx-project/tvx/extract"
)

// parseTipSetRef reads one end of a --tsk value as Lotus's tvx does: "@head"
// (the chain's head), "@H" (the tipset at height H) or a tipset key.
func parseTipSetRef(s string) (extract.RangeEnd, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "@head":
		return extract.RangeEnd{}, nil // an empty key is the head
	case strings.HasPrefix(s, "@"):
		return parseHeight(s)
	}
	k, err := parseTipSetKey(s)
	if err != nil {
		return extract.RangeEnd{}, usageErr("--tsk: %v (want a tipset key, @H or @head)", err)
	}
	return extract.RangeEnd{Key: k}, nil
}
