package server

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	old := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	content := old + " stdout F first\n" + now + " stderr F second\n" + now + " stdout P par\n" + now + " stdout F tial\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opts logOptions
		want string
	}{
		{logOptions{tail: -1}, "first\nsecond\npartial\n"},
		{logOptions{tail: 1}, "tial\n"},
		{logOptions{tail: -1, since: time.Now().Add(-time.Minute)}, "second\npartial\n"},
		{logOptions{tail: -1, limit: 8}, "first\nse"},
		{logOptions{tail: 1, timestamps: true}, now + " tial\n"},
	} {
		w := httptest.NewRecorder()
		if err := writeLog(httptest.NewRequest("GET", "/", nil), w, path, tc.opts); err != nil {
			t.Fatal(err)
		}
		if got := w.Body.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.opts, got, tc.want)
		}
	}
}
