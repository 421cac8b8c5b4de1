# The public API as a type checker sees it (PEP 561). ``__init__.py`` loads most of these names on first use
# (``_LAZY``), which a type checker cannot follow; this stub gives each its real type. tests/test_typing.py keeps
# the two in step: every name of ``__all__`` is here, from the module ``__init__.py`` loads it from.
from . import activations as activations
from . import lessons as lessons
from . import nets as nets
from . import optimizers as optimizers
from . import render as render
from . import schedules as schedules
# optiviz.surfaces is the top-level surfaces/ folder, mapped into the package when it is built (pyproject.toml):
# installed, it is a real subpackage; in a source checkout a type checker cannot see the mapping.
from . import surfaces as surfaces  # type: ignore[attr-defined, unused-ignore]
from .activations import activation as activation
from .engine import Trajectories as Trajectories
from .engine import Trajectory as Trajectory
from .engine import run as run
from .engine import tune as tune
from .errors import InvalidValueError as InvalidValueError
from .errors import OptivizError as OptivizError
from .errors import RenderError as RenderError
from .errors import SurfaceError as SurfaceError
from .errors import UnknownNameError as UnknownNameError
from .loading import load_surface as load_surface
from .optimizers import Optimizer as Optimizer
from .optimizers import OptimizerSpec as OptimizerSpec
from .optimizers import optimizer as optimizer
from .render import animate as animate
from .render import plot as plot
from .render import save as save
from .schedules import Schedule as Schedule
from .schedules import schedule as schedule
from .serve.server import playground as playground
from .surface import Surface as Surface
from .surface import register_surface as register_surface
from .surface import surface as surface

__version__: str
__all__: list[str]

def enable_x64(enabled: bool = True) -> None: ...
