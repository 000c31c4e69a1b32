package orgscan

// Stats are the running totals of one organisation scan: what its progress
// line and summary print.
type Stats struct {
	Total     int   // repositories to scan
	Done      int   // repositories whose findings are durable
	Unchanged int   // of Done: no new commits since the checkpoint
	Empty     int   // of Done: no commits at all
	Failed    int   // repositories not scanned (Failures says why)
	Findings  int   // findings handed to the sink
	Revoked   int   // tokens this run revoked
	Reported  int   // other issuers' tokens this run reported to them
	Objects   int64 // blobs read
	Bytes     int64 // bytes of those blobs
	// Failures are the failed repositories with their reasons, in the
	// order they failed. Snapshots share it: do not modify its elements.
	Failures []Failure
	// Unread is what scanned repositories left unread inside blobs
	// (RepoResult.Problems), in the order they were done; shared by
	// snapshots like Failures.
	Unread []Failure
}

// Failure is one repository that was not scanned, or (in Stats.Unread)
// a part of one that was left unread.
type Failure struct {
	Repo   string // owner/name
	Reason string // the error: remote text (escape it before printing)
}

// snapshot returns s with Failures capped at its length, so that later
// appends never show through.
func (s Stats) snapshot() Stats {
	s.Failures = s.Failures[:len(s.Failures):len(s.Failures)]
	s.Unread = s.Unread[:len(s.Unread):len(s.Unread)]
	return s
}

// actions counts what resolving one repository's findings did.
type actions struct{ revoked, reported int }

// addResult counts one repository whose findings are durable.
func (s *Stats) addResult(res RepoResult, done actions) {
	s.Done++
	s.Findings += len(res.Findings)
	s.Revoked += done.revoked
	s.Reported += done.reported
	s.Objects += res.Objects
	s.Bytes += res.Bytes
	for _, p := range res.Problems {
		s.Unread = append(s.Unread, Failure{Repo: res.Repo, Reason: p})
	}
	if res.Unchanged {
		s.Unchanged++
	}
	if res.Empty {
		s.Empty++
	}
}
