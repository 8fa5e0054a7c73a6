"""The packaging tests build and install the package into a temporary environment (about 20 s)."""


def pytest_configure(config):
    config.addinivalue_line("markers", "install: builds and installs the package into a temporary environment "
                                       "(about 20 s; deselect with -m 'not install')")
