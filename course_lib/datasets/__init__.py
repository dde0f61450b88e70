"""Course datasets: where they are found, how they are verified and fetched, how they load."""
from course_lib.datasets.air_quality import BEIJING, load_air_quality
from course_lib.datasets.mnist import MNIST, load_mnist
from course_lib.datasets.store import Dataset, fetch, locate, verify

DATASETS = {dataset.name: dataset for dataset in (BEIJING, MNIST)}

__all__ = ["DATASETS", "Dataset", "locate", "verify", "fetch", "load_air_quality", "load_mnist"]
