package io.meridian.node.s3;

/**
 * A small writer for the XML documents S3 answers with. Escapes text for XML 1.0 and writes
 * characters XML 1.0 cannot hold as numeric references, so the document stays well-formed.
 */
final class Xml {

    static final String NS = "http://s3.amazonaws.com/doc/2006-03-01/";

    private final StringBuilder sb = new StringBuilder(256).append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

    Xml open(String name) {
        sb.append('<').append(name).append('>');
        return this;
    }

    /** Opens the document's root element in the S3 namespace. */
    Xml root(String name) {
        sb.append('<').append(name).append(" xmlns=\"").append(NS).append("\">");
        return this;
    }

    Xml close(String name) {
        sb.append("</").append(name).append('>');
        return this;
    }

    Xml element(String name, String text) {
        sb.append('<').append(name).append('>');
        escape(text);
        sb.append("</").append(name).append('>');
        return this;
    }

    Xml text(String text) {
        escape(text);
        return this;
    }

    Xml element(String name, long value) {
        return element(name, Long.toString(value));
    }

    Xml element(String name, boolean value) {
        return element(name, Boolean.toString(value));
    }

    /** Writes the element only if {@code text} is not null. */
    Xml optional(String name, String text) {
        return text == null ? this : element(name, text);
    }

    private void escape(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<':
                    sb.append("&lt;");
                    break;
                case '>':
                    sb.append("&gt;");
                    break;
                case '&':
                    sb.append("&amp;");
                    break;
                case '"':
                    sb.append("&quot;");
                    break;
                case '\'':
                    sb.append("&apos;");
                    break;
                default:
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                        sb.append("&#x").append(Integer.toHexString(c)).append(';');
                    } else {
                        sb.append(c);
                    }
            }
        }
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
