package job

import "testing"

func TestCompletedIndexes(t *testing.T) {
	for in, want := range map[string]string{
		"":              "",
		"3":             "3",
		"0,1,2,5,7,8":   "0-2,5,7-8",
		"0-2,5,7-8":     "0-2,5,7-8",
		"1-3,2-4":       "1-4",
		"8,9,10,11,x,-": "8-9", // beyond completions (10) and malformed parts dropped
	} {
		if got := parseIndexes(in, 10).String(); got != want {
			t.Errorf("parseIndexes(%q) = %q, want %q", in, got, want)
		}
	}
}
