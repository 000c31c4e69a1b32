package store

import "fmt"

// ValidHash reports whether h has the shape of a token hash: 64 lower-case
// hex characters (SHA-256). Adapters reject anything else, so a plaintext
// token handed over by mistake is refused instead of stored.
func ValidHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Validate checks that t can be stored: ID, a well-formed Hash, Type and
// Owner are required. The error wraps ErrInvalid and never quotes the hash
// field's content (it may be a plaintext token passed by mistake).
func (t *Token) Validate() error {
	switch {
	case t == nil:
		return fmt.Errorf("%w: nil token", ErrInvalid)
	case t.ID == "":
		return fmt.Errorf("%w: token id is required", ErrInvalid)
	case !ValidHash(t.Hash):
		return fmt.Errorf("%w: token hash must be 64 lower-case hex characters (SHA-256)", ErrInvalid)
	case t.Type == "":
		return fmt.Errorf("%w: token type is required", ErrInvalid)
	case t.Owner == "":
		return fmt.Errorf("%w: token owner is required", ErrInvalid)
	}
	return nil
}

// Validate checks that the request names a token (ID or Hash, the hash
// well-formed) and gives a reason. The error wraps ErrInvalid.
func (r *RevokeRequest) Validate() error {
	switch {
	case r.ID == "" && r.Hash == "":
		return fmt.Errorf("%w: revoke needs a token id or hash", ErrInvalid)
	case r.Hash != "" && !ValidHash(r.Hash):
		return fmt.Errorf("%w: token hash must be 64 lower-case hex characters (SHA-256)", ErrInvalid)
	case r.Reason == "":
		return fmt.Errorf("%w: revoke needs a reason", ErrInvalid)
	}
	return nil
}

// Validate checks that the event can be appended: a token id and a kind.
func (e *Event) Validate() error {
	switch {
	case e.TokenID == "":
		return fmt.Errorf("%w: event token id is required", ErrInvalid)
	case e.Kind == "":
		return fmt.Errorf("%w: event kind is required", ErrInvalid)
	}
	return nil
}

// Validate checks that the notice request names a token and a stage.
func (r *NoticeRequest) Validate() error {
	switch {
	case r.TokenID == "":
		return fmt.Errorf("%w: notice token id is required", ErrInvalid)
	case r.Stage == "":
		return fmt.Errorf("%w: notice stage is required", ErrInvalid)
	}
	return nil
}

// Validate checks that the notification can be enqueued: id, type and a
// payload.
func (n *Notification) Validate() error {
	switch {
	case n.ID == "":
		return fmt.Errorf("%w: notification id is required", ErrInvalid)
	case n.Type == "":
		return fmt.Errorf("%w: notification type is required", ErrInvalid)
	case len(n.Payload) == 0:
		return fmt.Errorf("%w: notification payload is required", ErrInvalid)
	}
	return nil
}

// Validate checks the filter: a known State (or none) and a non-negative
// Limit.
func (f *ListFilter) Validate() error {
	switch f.State {
	case "", StateActive, StateRevoked, StateExpired:
	default:
		return fmt.Errorf("%w: unknown state %q", ErrInvalid, f.State)
	}
	if f.Limit < 0 {
		return fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	return nil
}
