package io.meridian.node.store;

/**
 * Bytes made durable in the store's blob area but not yet part of any object.
 *
 * @param md5Hex the hex MD5 of the bytes, which is the ETag of a single-part object
 */
public record Blob(String id, long length, String md5Hex) {}
