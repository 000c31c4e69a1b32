package demo

// Same shape as real tokens, but the checksum or the length is wrong:
// leakguard must not report any of these.
var lookalikes = []string{
	"lgu_DkQkKGZByFMxCb8tM431BBGVvjeF4G0pfo80",
	"lgs_5UEu5wfNL6bwN8a9iRH6StHdtCzRsO0CTEv0",
	"ghp_YgJAzeQZOwYQMGK9VHsZhWFbZOW5Im2ptOC0",
	"ghp_esBvHucBIsOLvB3dlznhQl55DZxu2h19RIh",
	"gho_azmrfs0s0ozOqLD8BkW5aGeXwN1uP12L9kQ0",
	"lga_iomWqo8FrhvHeYgNjFwfqx6XIwlc8544r9N",
}
