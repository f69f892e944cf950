package telemetry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// xrayEndpointRE matches X-Ray's OTLP traces endpoint, https://xray.<region>.amazonaws.com/v1/traces,
// which takes OTLP/HTTP requests signed with SigV4 for the service "xray" and authorizes them
// as xray:PutTraceSegments (X-Ray developer guide, "OTLP endpoint").
var xrayEndpointRE = regexp.MustCompile(`^xray\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$`)

// exportClient is the OTLP exporter's HTTP client: SigV4-signing for X-Ray's endpoint, with
// the credentials of the task role (the SDK's default chain), plain for any other receiver.
func exportClient(ctx context.Context, endpoint string) (*http.Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("telemetry: endpoint %q: %w", endpoint, err)
	}
	m := xrayEndpointRE.FindStringSubmatch(u.Hostname())
	if m == nil {
		return &http.Client{}, nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(m[1]))
	if err != nil {
		return nil, fmt.Errorf("telemetry: AWS credentials to sign spans for %s: %w", u.Host, err)
	}
	return &http.Client{Transport: &sigv4Transport{next: http.DefaultTransport, creds: cfg.Credentials, region: m[1], signer: v4.NewSigner(), now: time.Now}}, nil
}

// sigv4Transport signs each request for X-Ray in region.
type sigv4Transport struct {
	next   http.RoundTripper
	creds  aws.CredentialsProvider
	signer *v4.Signer
	region string
	now    func() time.Time
}

func (t *sigv4Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, fmt.Errorf("telemetry: read the span batch: %w", err)
		}
		_ = req.Body.Close()
	}
	signed := req.Clone(req.Context())
	signed.Body = io.NopCloser(bytes.NewReader(body))
	signed.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	signed.ContentLength = int64(len(body))
	creds, err := t.creds.Retrieve(req.Context())
	if err != nil {
		return nil, fmt.Errorf("telemetry: credentials to sign spans: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := t.signer.SignHTTP(req.Context(), creds, signed, hex.EncodeToString(sum[:]), "xray", t.region, t.now()); err != nil {
		return nil, fmt.Errorf("telemetry: sign spans: %w", err)
	}
	return t.next.RoundTrip(signed)
}
