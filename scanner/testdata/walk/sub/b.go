package b

const (
	x = "lgu_LeakguardWalkFixtureB00000000240IHc8"
	y = "lgs_LeakguardWalkFixtureC0000000031DPgcK" // gitleaks:allow
)
