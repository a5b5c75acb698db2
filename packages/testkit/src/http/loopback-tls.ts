// A self-signed certificate for 127.0.0.1 and localhost, for loopback fakes served over TLS to SDKs
// that speak HTTPS only (the Adyen Node library). TEST MATERIAL ONLY: the private key is public in
// this repository; no production system may trust this certificate.
//
// Made once with OpenSSL (valid until 2126, P-256):
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 36500 -nodes \
//     -subj "/CN=paymigrate loopback test" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"

/** Key and certificate a loopback TLS server presents; the certificate is also what clients trust. */
export interface LoopbackTlsCredentials {
  /** PEM private key (public test material). */
  readonly key: string;
  /** PEM certificate for 127.0.0.1 and localhost, self-signed: pass it to clients as their trusted CA. */
  readonly certificate: string;
}

/** The repository's loopback test certificate (see the file header). */
export const loopbackTlsCredentials: LoopbackTlsCredentials = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2cia1hk2/0Xgy1x5
sju42MFEZHQE1bmaNaDO/6ZsiFWhRANCAAT9795KrToxWuBFZJZ8MfAQTvTPI/HE
y4Lbg/5mDsDP8xlSXENd82C70/779waNRpR1LtTxVs5yfzYybv5Y2GsL
-----END PRIVATE KEY-----\n`,
  certificate: `-----BEGIN CERTIFICATE-----
MIIBuTCCAV+gAwIBAgIUBM/uT1n37C5wHfvmdfZEy+ZkpfYwCgYIKoZIzj0EAwIw
IzEhMB8GA1UEAwwYcGF5bWlncmF0ZSBsb29wYmFjayB0ZXN0MCAXDTI2MTEyNzA2
MjAxMVoYDzIxMjYxMTAzMDYyMDExWjAjMSEwHwYDVQQDDBhwYXltaWdyYXRlIGxv
b3BiYWNrIHRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT9795KrToxWuBF
ZJZ8MfAQTvTPI/HEy4Lbg/5mDsDP8xlSXENd82C70/779waNRpR1LtTxVs5yfzYy
bv5Y2GsLo28wbTAdBgNVHQ4EFgQU+hCfAR6XcVQvkYl6aaBRkVp6wJIwHwYDVR0j
BBgwFoAU+hCfAR6XcVQvkYl6aaBRkVp6wJIwDwYDVR0TAQH/BAUwAwEB/zAaBgNV
HREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZIzj0EAwIDSAAwRQIhAKoa5FAE
OQewqIcyksJNb8Zp9uk2dMceE6/42vM2u8vkAiBb5s2DT3kQmeSfQTxiYdxs5mi4
p3O2mX9kT+a4r7B9ug==
-----END CERTIFICATE-----\n`,
};
