package profilesync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("dial tcp 192.0.2.1:443: connect: connection refused")
}

// A token in the profile URL's query never reaches an error or the log,
// even through the *url.Error net/http wraps a failed request in.
func TestSyncURLErrorHidesToken(t *testing.T) {
	t.Parallel()
	var logs []string
	s := &Syncer{Cache: &memCache{}, Client: &http.Client{Transport: failingTransport{}},
		Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }}
	_, err := s.SyncURL(context.Background(), "https://relais:hunter2@continuite.example.org/p.toml?token=S3CRET-TOKEN-123&v=2")
	if err == nil {
		t.Fatal("no error from a refused connection")
	}
	for _, text := range append(logs, err.Error()) {
		if strings.Contains(text, "S3CRET") || strings.Contains(text, "hunter2") {
			t.Errorf("secret in %q", text)
		}
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %v, want the cause kept", err)
	}
}
