package io.meridian.node.s3;

/**
 * A small writer for the XML documents S3 answers with. Escapes text for XML 1.0 and replaces any
 * character XML 1.0 cannot hold with U+FFFD, so every document it writes is well-formed.
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

    /** Whether every character of {@code text} is one XML 1.0 can hold. */
    static boolean isValidText(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (!isValidAt(text, i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isValidAt(String text, int i) {
        char c = text.charAt(i);
        if (c < 0x20) {
            return c == '\t' || c == '\n' || c == '\r';
        }
        if (c == 0xFFFE || c == 0xFFFF) {
            return false;
        }
        if (Character.isHighSurrogate(c)) {
            return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
        }
        return true;
    }

    private void escape(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!isValidAt(text, i)) {
                // Keys never hold these (writes refuse them); other text, such as an echoed
                // argument in an error message, shows the replacement character instead.
                sb.append('\uFFFD');
                continue;
            }
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
                    sb.append(c);
            }
        }
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
