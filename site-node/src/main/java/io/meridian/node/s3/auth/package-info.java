/**
 * AWS Signature Version 4 for the S3 API, verified the way Amazon S3 verifies it.
 *
 * <p>{@link io.meridian.node.s3.auth.SigV4Verifier#verify} authenticates a
 * {@link io.meridian.node.s3.auth.SignedRequest} (header-signed or presigned) and returns an
 * {@link io.meridian.node.s3.auth.AuthResult}; {@link io.meridian.node.s3.auth.SigV4Verifier#verifiedBody} then
 * decodes and checks the body as it streams. Every refusal is an {@link io.meridian.node.s3.auth.S3AuthException}
 * carrying the S3 error code and HTTP status to answer with.
 */
package io.meridian.node.s3.auth;
