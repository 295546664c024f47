"""The one part of the build pyproject.toml cannot state without an experimental setuptools table:
the licence matcher's inner loops in C (src/trueopen/licenses/_match.c, issue 14), compiled by pip
with the machine's C compiler and Python headers, as pdqhash's are. Everything else is in
pyproject.toml."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("trueopen.licenses._match", ["src/trueopen/licenses/_match.c"])])
