package patterns

import "strings"

// msSource is where Microsoft documents its identifiable keys: the
// generator and validator (IdentifiableSecrets.cs), the signatures and
// checksum seeds (IdentifiableMetadata.cs), and per-provider shapes and
// test keys (PreciselyClassifiedSecurityKeys/, and the Rust scanner's
// identifiable_scans.rs test cases).
const msSource = "https://github.com/microsoft/security-utilities/blob/main/src/Microsoft.Security.Utilities.Core/IdentifiableSecrets.cs"

// msKey describes one kind of Microsoft identifiable key: its signature,
// size in bytes, base64 alphabet and checksum seeds, and Microsoft's own
// test key (from identifiable_scans.rs or SecretMaskerTests.cs), which
// ships as a true positive.
type msKey struct {
	id, desc  string
	signature string
	bytes     int  // key length in bytes: 32, 39, 40 or 64
	url       bool // base64url rather than standard base64
	seeds     []string
	vector    string // Microsoft's published test key
	tag       string // sample body tag
}

// microsoftKeys are the identifiable keys in the default catalog. Seeds
// are IdentifiableMetadata.cs' constants as the 8 characters they spell
// (ComputeHisV1ChecksumSeed); each list is the one the provider's class in
// PreciselyClassifiedSecurityKeys/ validates with.
func microsoftKeys() []msKey {
	messaging := []string{"Send0000", "Listen00", "Manage00"}
	return []msKey{
		{"azure-storage-account-key", "Azure Storage account access key", "+ASt", 64, false,
			[]string{"Default0"}, strings.Repeat("a", 76) + "+ASt5mnCaw==", "AzureStorageAccountKey"},
		{"azure-cosmosdb-key", "Azure Cosmos DB access key", "ACDb", 64, false,
			[]string{"Encryp00", "MastRO00", "MastRW00", "Resour00", "SysAll00", "SystRO00", "SystRW00"},
			strings.Repeat("a", 76) + "ACDbOpqrYA==", "AzureCosmosDbKey"},
		{"azure-batch-key", "Azure Batch account access key", "+ABa", 64, false,
			[]string{"AbAcct00"}, strings.Repeat("a", 76) + "+ABa13FZVQ==", "AzureBatchKey"},
		{"azure-apim-key", "Azure API Management key (direct management, subscription, gateway or repository)", "APIM", 64, false,
			[]string{"Tenant00", "IoTHub00", "Gatewy00", "GitKey00"}, strings.Repeat("a", 76) + "APIMHbKhsQ==", "AzureApimKey"},
		{"azure-service-bus-key", "Azure Service Bus shared access key", "+ASb", 32, false,
			messaging, strings.Repeat("a", 33) + "+ASbHpHeAI=", "ServiceBus"},
		{"azure-event-hub-key", "Azure Event Hubs shared access key", "+AEh", 32, false,
			messaging, strings.Repeat("a", 33) + "+AEhG2s/8w=", "EventHubs0"},
		{"azure-relay-key", "Azure Relay shared access key", "+ARm", 32, false,
			messaging, strings.Repeat("a", 33) + "+ARmD7h+qo=", "AzureRelay"},
		{"azure-iot-key", "Azure IoT Hub, device provisioning or device key", "AIoT", 32, false,
			[]string{"IoTHub00", "DpsKey00", "Device00"}, strings.Repeat("a", 33) + "AIoTOumzco=", "AzureIoT00"},
		{"azure-cache-redis-key", "Azure Cache for Redis access key", "AzCa", 32, false,
			[]string{"Access00"}, "", "AzureRedis"},
		{"azure-functions-key", "Azure Functions access key (function, host master or system key)", "AzFu", 40, true,
			[]string{"Functi00", "Master00", "System00"}, strings.Repeat("d", 44) + "AzFu182vhA==", "AzureFunctionsKey"},
		{"azure-container-registry-key", "Azure Container Registry access key", "+ACR", 39, false,
			[]string{"ACRDflt0"}, strings.Repeat("d", 42) + "+ACRCUDxQE", "AzureContainerReg"},
		{"azure-search-key", "Azure AI Search query or admin key", "AzSe", 39, true,
			[]string{"Query000", "PAdmin00"}, strings.Repeat("a", 42) + "AzSeCjhzCu", "AzureSearchKey"},
	}
}

// microsoftFormats declares Microsoft's identifiable keys (see marvin.go):
// prefix-less base64 of N bytes whose provider signature stands right
// before the last 6 characters (then '=' padding to whole base64 quanta),
// anchored on that signature. Samples: Microsoft's own test key, a key
// built from the scheme with a LeakguardSample body (one per seed), and
// look-alikes: a body character changed, the last checksum character
// changed, another signature with a valid checksum, a key one character
// short with its own valid checksum, and keys one character short or long.
func microsoftFormats() []Format {
	var out []Format
	for _, k := range microsoftKeys() {
		out = append(out, k.format())
	}
	return out
}

func (k msKey) format() Format {
	chars := (k.bytes*8 + 5) / 6 // base64 characters without padding
	body := chars - marvinChecksumChars
	alphabet, enc := "0-9A-Za-z+/", EncBase64
	if k.url {
		alphabet, enc = "0-9A-Za-z_-", EncBase64URL
	}
	f := Format{
		ID:          k.id,
		Description: k.desc,
		Alphabet:    alphabet,
		BodyMin:     body,
		BodyMax:     body,
		Signature:   Signature{Text: k.signature, Offset: body - len(k.signature)},
		Checksum:    Checksum{Algorithm: AlgoMarvin32, Encoding: enc, Length: marvinChecksumChars, Covers: CoversPrefixBody, Seeds: k.seeds},
		Source:      msSource,
	}
	sample := sampleBody(k.tag, body-len(k.signature)) + k.signature
	if k.vector != "" {
		f.TruePositives = append(f.TruePositives, k.vector)
	}
	for i := range k.seeds {
		g := f
		g.Checksum.Seeds = k.seeds[i:]
		f.TruePositives = append(f.TruePositives, g.WithChecksum("", sample))
	}
	tp := f.TruePositives[len(f.TruePositives)-len(k.seeds)]
	data := strings.TrimRight(tp, "=")
	other := sample[:len(sample)-len(k.signature)] + "Zz9Q"
	f.FalsePositives = []string{
		"M" + tp[1:],                        // a body character changed
		bumpLast(&f, data) + tp[len(data):], // the last checksum character changed
		f.WithChecksum("", other),           // another signature, its checksum valid
		f.WithChecksum("", sample[1:]),      // one character short, its checksum valid
		data[:len(data)-1],                  // one character short
		data + "A",                          // one character long
	}
	return f
}
