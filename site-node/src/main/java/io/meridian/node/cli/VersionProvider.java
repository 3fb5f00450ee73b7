package io.meridian.node.cli;

import picocli.CommandLine;

/** Reports the version of the site-node jar. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"meridian " + (v == null ? "development build" : v)};
    }
}
