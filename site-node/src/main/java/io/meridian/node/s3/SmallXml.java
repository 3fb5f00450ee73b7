package io.meridian.node.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.jspecify.annotations.Nullable;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * A parsed request body of one of S3's small XML documents. Parsing refuses DTDs and external
 * entities (no XXE), and element names are matched without namespace prefixes.
 */
final class SmallXml {

    private static final DocumentBuilderFactory FACTORY = factory();

    private final Element element;

    private SmallXml(Element element) {
        this.element = element;
    }

    /**
     * Parses {@code body}, whose root must be {@code rootName}.
     *
     * @throws S3Exception MalformedXML, saying what is wrong
     */
    static SmallXml parse(byte[] body, String rootName) {
        if (body.length == 0) {
            throw new S3Exception(S3Error.MALFORMED_XML, "The request body is empty; a " + rootName
                    + " XML document is required.");
        }
        try {
            DocumentBuilder builder;
            synchronized (FACTORY) {
                builder = FACTORY.newDocumentBuilder();
            }
            builder.setErrorHandler(null);
            Element root = builder.parse(new ByteArrayInputStream(body)).getDocumentElement();
            if (!localName(root).equals(rootName)) {
                throw new S3Exception(S3Error.MALFORMED_XML, "The XML you provided has root element <"
                        + localName(root) + ">, but " + rootName + " was expected.");
            }
            return new SmallXml(root);
        } catch (SAXException | IOException e) {
            throw new S3Exception(S3Error.MALFORMED_XML, "The XML you provided was not well-formed or did not"
                    + " validate against our published schema: " + e.getMessage());
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    List<SmallXml> children(String name) {
        List<SmallXml> out = new ArrayList<>();
        for (Node n = element.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element && localName((Element) n).equals(name)) {
                out.add(new SmallXml((Element) n));
            }
        }
        return out;
    }

    /** Returns the text of the first child element called {@code name}, or null if there is none. */
    @Nullable String childText(String name) {
        List<SmallXml> c = children(name);
        return c.isEmpty() ? null : c.get(0).element.getTextContent();
    }

    private static String localName(Element e) {
        String n = e.getTagName();
        int colon = n.indexOf(':');
        return colon < 0 ? n : n.substring(colon + 1);
    }

    private static DocumentBuilderFactory factory() {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        try {
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK XML parser lacks secure-processing features", e);
        }
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        f.setNamespaceAware(false);
        return f;
    }
}
