"""Imports flow one way: api -> schemas/services -> models -> db -> leaves. Each module is read
for its imports of the project, and each is imported alone in a fresh interpreter, which must
load nothing of a higher layer."""
import ast
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

PACKAGE = 'datamachine_jobs'
ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), PACKAGE)
# Lowest first. A module imports from its own layer or below; schemas and services share a layer
# but not each other. The package root (create_app) is above them all.
LAYERS = (
    {'vocabulary', 'statuses', 'exceptions', 'config', 'cursors', 'passwords', 'jsonio',
     'migrating', 'peewee_internals'},
    {'db'},
    {'models'},
    {'schemas', 'services'},
    {'errors', 'metrics', 'auth', 'request_log', 'openapi'},
    {'api', 'cli', 'startup', 'cors'},
)
SIBLINGS_APART = {'schemas', 'services'}
# The console script builds the app it runs in, so it alone reaches the root's create_app.
BUILDS_THE_APP = {'cli'}


def modules():
    """Dotted names of every module of the package but its root."""
    found = []
    for folder, _, names in os.walk(ROOT):
        for name in names:
            if name.endswith('.py'):
                path = os.path.relpath(os.path.join(folder, name), os.path.dirname(ROOT))
                dotted = path[:-3].replace(os.sep, '.').removesuffix('.__init__')
                if dotted != PACKAGE:
                    found.append(dotted)
    return sorted(found)


def group(dotted):
    """The top-level part of the package a module belongs to: 'services', 'models', ..."""
    return dotted.split('.')[1]


def layer(dotted):
    if dotted == PACKAGE:
        return len(LAYERS)
    return next(n for n, names in enumerate(LAYERS) if group(dotted) in names)


def project_imports(dotted):
    """The project's modules that `dotted` imports, as dotted names (`from . import x` counts
    as importing the submodule x when there is one)."""
    path = os.path.join(os.path.dirname(ROOT), *dotted.split('.'))
    path = os.path.join(path, '__init__.py') if os.path.isdir(path) else path + '.py'
    with open(path) as fh:
        tree = ast.parse(fh.read())
    package = dotted if path.endswith('__init__.py') else dotted.rsplit('.', 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')[:len(package.split('.')) - node.level + 1]
                target = '.'.join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ''
            if not target.startswith(PACKAGE):
                continue
            known = set(modules())
            names = [f'{target}.{alias.name}' for alias in node.names]
            submodules = [name for name in names if name in known]
            found.update(submodules or [target])
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PACKAGE))
    return found


@pytest.mark.parametrize('dotted', modules())
def test_nothing_imports_upward(dotted):
    for imported in project_imports(dotted):
        if imported == PACKAGE and group(dotted) in BUILDS_THE_APP:
            continue
        assert layer(imported) <= layer(dotted), f'{dotted} imports {imported}, a higher layer'
        if group(dotted) in SIBLINGS_APART and group(imported) in SIBLINGS_APART:
            assert group(imported) == group(dotted), f'{dotted} imports {imported}'


@pytest.mark.parametrize('dotted', [m for m in modules() if layer(m) < len(LAYERS) - 1])
def test_each_module_imports_alone_without_higher_layers(dotted):
    loaded = subprocess.run(
        [sys.executable, '-c', f'import sys, {dotted}; print(*sorted(sys.modules))'],
        capture_output=True, text=True, timeout=60, check=True).stdout.split()
    ours = [name for name in loaded if name.startswith(f'{PACKAGE}.')]
    assert [name for name in ours if layer(name) > layer(dotted)] == []
