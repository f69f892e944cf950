package awsstage

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/keelstack/keel/cmd/internal/cli"
)

// Code is an AWS API error's code ("" for other errors).
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Describe turns an AWS failure into one line with its exit class: access denied (3) for a
// refusal or missing credentials, unreachable (4) for the network and for throttling that
// outlasted the SDK's retries, failed (1) otherwise. what is the action, e.g. "read stack keel-dev".
func Describe(err error, what string) error {
	switch code := Code(err); code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
		"InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "SignatureDoesNotMatch", "InvalidSignatureException":
		return fmt.Errorf("%w: cannot %s: %s: the credentials in use may not do this (README, \"keel and IAM\", lists each command's actions)", cli.ErrAccessDenied, what, code)
	case "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "ProvisionedThroughputExceededException":
		return fmt.Errorf("%w: cannot %s: AWS is throttling the account's API calls (%s) after the SDK's retries; wait a minute and run it again", cli.ErrUnreachable, what, code)
	case "":
	default:
		return fmt.Errorf("cannot %s: %w", what, err)
	}
	msg := err.Error()
	if strings.Contains(msg, "failed to retrieve credentials") || strings.Contains(msg, "no EC2 IMDS role") || strings.Contains(msg, "failed to refresh cached credentials") {
		return fmt.Errorf("%w: cannot %s: no AWS credentials: set AWS_PROFILE (aws sso login) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", cli.ErrAccessDenied, what)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") {
		return fmt.Errorf("%w: cannot %s: %v: check the network (and AWS_ENDPOINT_URL if set)", cli.ErrUnreachable, what, err)
	}
	return fmt.Errorf("cannot %s: %w", what, err)
}
