"""The patch registry: what each patch replaces in mongoeco, for which version, in which order.

A `Patch` declares its `name`; `written_for`, the mongoeco version whose code it was written
against; `targets`, the dotted attributes it replaces (`package.module.Class.attribute`);
`after`, the patches it must follow (it wraps what they installed); `switch`, the environment
switch that leaves it off (value `0`), if it has one; and `build`, which gets the current value
of each target and returns the replacement of each target (the registry sets them).

`Registry.apply` takes the patches in their declared order (ties by name), checks, before it
replaces anything, that the installed version is the one each patch was written for and that
each target exists, and otherwise refuses with `PatchRefused`, naming the patch, the target and
the versions. `MONGOECO_UNPATCHED=1` applies nothing. A patch list in which two patches replace
one attribute without an `after` between them is refused when the registry is built
(`RegistryError`): the order of two wrappers of one method matters and must be written down.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import types
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crm_dev.mongo.switches import UNPATCHED, Switch

type Originals = Mapping[str, Any]
type Replacements = Mapping[str, Any]

log = logging.getLogger(__name__)


class RegistryError(ValueError):
    """The patch list itself is inconsistent (a programming error, not an installation's)."""


class PatchRefused(RuntimeError):
    """Some patch does not fit the installed library; nothing was replaced."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(problems) + f". Re-read each patch named here against the installed version, "
            f"update it, or set {UNPATCHED.name}=1 to run the embedded server unpatched."
        )


@dataclass(frozen=True, slots=True)
class Patch:
    name: str
    written_for: str
    targets: tuple[str, ...]
    build: Callable[[Originals], Replacements]
    after: tuple[str, ...] = ()
    switch: Switch | None = None

    def switched_off(self, environ: Mapping[str, str] | None = None) -> bool:
        return self.switch is not None and self.switch.get(environ) == "0"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What `Registry.apply` did."""

    version: str
    applied: tuple[str, ...] = ()
    switched_off: tuple[str, ...] = ()
    unpatched: bool = False

    def describe(self, package: str = "mongoeco") -> str:
        if self.unpatched:
            return f"{package}: running unpatched ({UNPATCHED.name}=1)"
        text = f"{package} {self.version} patched: {', '.join(self.applied) or 'nothing'}"
        if self.switched_off:
            text += f" (off by switch: {', '.join(self.switched_off)})"
        return text


def _owner(dotted: str) -> tuple[Any, str]:
    """The object holding the last name of `dotted` (importing modules on the way) and that
    name; LookupError when a step of the path does not exist."""
    head, *middle, attribute = dotted.split(".")
    try:
        owner: Any = importlib.import_module(head)
        prefix = head
        for part in middle:
            prefix = f"{prefix}.{part}"
            if hasattr(owner, part):
                owner = getattr(owner, part)
            elif isinstance(owner, types.ModuleType):
                owner = importlib.import_module(prefix)
            else:
                raise LookupError(prefix)
    except ImportError as exc:
        raise LookupError(dotted) from exc
    return owner, attribute


def target_exists(dotted: str) -> bool:
    try:
        owner, attribute = _owner(dotted)
    except LookupError:
        return False
    return hasattr(owner, attribute)


def _replace(dotted: str, value: Any) -> None:
    owner, attribute = _owner(dotted)
    if isinstance(inspect.getattr_static(owner, attribute), staticmethod) and not isinstance(
        value, staticmethod
    ):
        value = staticmethod(value)  # keep the descriptor kind of the original
    setattr(owner, attribute, value)


def _in_order(patches: Iterable[Patch]) -> tuple[Patch, ...]:
    """The patches ordered by their `after` names (among unordered ones, by name)."""
    by_name: dict[str, Patch] = {}
    for patch in patches:
        if patch.name in by_name:
            raise RegistryError(f"two patches are named {patch.name!r}")
        by_name[patch.name] = patch
    for patch in by_name.values():
        unknown = [name for name in patch.after if name not in by_name]
        if unknown:
            raise RegistryError(f"patch {patch.name!r} is after unknown patches {unknown}")
    done: list[Patch] = []
    placed: set[str] = set()
    while len(done) < len(by_name):
        ready = sorted(
            name
            for name, patch in by_name.items()
            if name not in placed and placed.issuperset(patch.after)
        )
        if not ready:
            rest = sorted(set(by_name) - placed)
            raise RegistryError(f"the `after` names of patches {rest} form a cycle")
        done.append(by_name[ready[0]])
        placed.add(ready[0])
    return tuple(done)


def _predecessors(patches: tuple[Patch, ...]) -> dict[str, frozenset[str]]:
    """For each patch, every patch it comes after, directly or through others (`patches` in
    order, so a patch's predecessors are known before it)."""
    before: dict[str, frozenset[str]] = {}
    for patch in patches:
        before[patch.name] = frozenset(patch.after).union(*(before[a] for a in patch.after))
    return before


class Registry:
    """The patches of one library (mongoeco), applied once per process in their order."""

    def __init__(self, patches: Iterable[Patch], *, package: str = "mongoeco") -> None:
        self.package = package
        self.patches = _in_order(patches)
        self._before = _predecessors(self.patches)
        self._applied: dict[str, None] = {}
        self._check_shared_targets()

    def __getitem__(self, name: str) -> Patch:
        for patch in self.patches:
            if patch.name == name:
                return patch
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [patch.name for patch in self.patches]

    def is_applied(self, name: str) -> bool:
        return name in self._applied

    def version(self) -> str:
        return str(getattr(importlib.import_module(self.package), "__version__", "unknown"))

    def _ordered(self, a: Patch, b: Patch) -> bool:
        return a.name in self._before[b.name] or b.name in self._before[a.name]

    def _check_shared_targets(self) -> None:
        for i, first in enumerate(self.patches):
            for second in self.patches[i + 1 :]:
                shared = sorted(set(first.targets) & set(second.targets))
                if shared and not self._ordered(first, second):
                    raise RegistryError(
                        f"patches {first.name!r} and {second.name!r} both replace {shared[0]}; "
                        "declare which one comes first (`after`)"
                    )

    def problems(self, patches: Iterable[Patch], version: str) -> list[str]:
        """Why `patches` cannot be applied on `version` of the library (empty: they can)."""
        found: list[str] = []
        for patch in patches:
            if patch.written_for != version:
                found.append(
                    f"patch {patch.name!r} was written for {self.package} {patch.written_for}, "
                    f"but {self.package} {version} is installed"
                )
            found += [
                f"patch {patch.name!r} replaces {target}, which {self.package} {version} "
                "does not have"
                for target in patch.targets
                if not target_exists(target)
            ]
            found += [
                f"patch {patch.name!r} must be applied before {later!r}, which already is"
                for later in self._applied
                if patch.name in self._before[later]
            ]
        return found

    def apply(self, environ: Mapping[str, str] | None = None) -> Outcome:
        """Apply every patch not switched off, in order (once per process); PatchRefused,
        with nothing replaced, when one does not fit the installed library."""
        if UNPATCHED.get(environ) == "1":
            return Outcome(version="", unpatched=True)
        version = self.version()
        chosen = [patch for patch in self.patches if not patch.switched_off(environ)]
        pending = [patch for patch in chosen if patch.name not in self._applied]
        problems = self.problems(pending, version)
        if problems:
            raise PatchRefused(problems)
        for patch in pending:
            self._install(patch)
        off = tuple(patch.name for patch in self.patches if patch.switched_off(environ))
        return Outcome(version, tuple(patch.name for patch in chosen), off)

    def try_apply(self, name: str, environ: Mapping[str, str] | None = None) -> bool:
        """Apply one patch alone in this process; False when it is switched off, and a
        RuntimeWarning ("not applied") with False when it does not fit the installed library."""
        patch = self[name]
        if UNPATCHED.get(environ) == "1" or patch.switched_off(environ):
            return False
        if name in self._applied:
            return True
        problems = self.problems([patch], self.version())
        if problems:
            warnings.warn(f"{name} not applied: {'; '.join(problems)}", RuntimeWarning, 2)
            return False
        self._install(patch)
        return True

    def _install(self, patch: Patch) -> None:
        originals = {target: getattr(*_owner(target)) for target in patch.targets}
        replacements = patch.build(originals)
        if set(replacements) != set(patch.targets):
            raise RegistryError(
                f"patch {patch.name!r} built replacements for {sorted(replacements)}, "
                f"but declares {sorted(patch.targets)}"
            )
        for target, value in replacements.items():
            _replace(target, value)
        self._applied[patch.name] = None
        log.debug("%s: patch %s applied", self.package, patch.name)
