"""The package's modules import one another in one direction: no two import each other.

Read from the source with ``ast``, so every import counts, one inside a function too (an
import put off until a call is still a dependency), and nothing is imported or run.
"""

import ast
import itertools
from pathlib import Path

from helpers import ROOT


def module_files(package):
    """``{dotted name: (path, is a package)}`` of every module under a package's folder."""
    modules = {}
    for path in Path(package).rglob("*.py"):
        parts = list(path.relative_to(Path(package).parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def imported_modules(name, modules):
    """The modules of ``modules`` that module ``name`` imports, anywhere in its source.

    ``from . import x`` imports the submodule ``x`` where there is one, else the package;
    ``import a.b.c`` imports ``a.b.c``, or the nearest enclosing module that is listed.
    """
    path, is_package = modules[name]
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = alias.name
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                found.add(target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + [node.module or ""])
                base = base.rstrip(".")
            else:
                base = node.module
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return found & set(modules) - {name}


def mutual_imports(package):
    """The pairs of modules under ``package`` that import each other, sorted."""
    modules = module_files(package)
    imports = {name: imported_modules(name, modules) for name in modules}
    return [
        (a, b)
        for a, b in itertools.combinations(sorted(modules), 2)
        if b in imports[a] and a in imports[b]
    ]


def test_no_two_modules_of_the_package_import_each_other():
    assert mutual_imports(ROOT / "mnist_course") == []


def test_a_pair_that_imports_each_other_is_found_even_inside_a_function(tmp_path):
    package = tmp_path / "course"
    (package / "grading").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "grading" / "__init__.py").write_text("from .pool import Pool\n")
    (package / "grading" / "pool.py").write_text("def work():\n    from . import run\n")
    (package / "grading" / "run.py").write_text("from ..grading.pool import work\n")
    (package / "notebook.py").write_text("import course.grading.run\n")
    assert mutual_imports(package) == [("course.grading.pool", "course.grading.run")]
