import os

# naïve client
client = Github(auth="github_pat_11LeakguardScanFixture_LeakguardScanFixtureFineGrainedPat0123456789012345678901234")
