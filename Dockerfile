# One replica of Uncertainty Lab for a class server (docker-compose.yml runs several behind
# nginx, with Redis as the shared results cache; see deploy/README.md).
#
#   docker build -t uncertainty-lab .
#   docker run --rm -p 8501:8501 uncertainty-lab        # one replica alone, in-process cache
#
# Torch comes from its CPU-only wheel index by default (no CUDA libraries, a much smaller
# image); build with --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu124 for
# a GPU machine.
FROM python:3.11-slim

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LAB_TORCH_THREADS=1

WORKDIR /app
COPY requirements.txt requirements-serve.txt ./
RUN pip install --extra-index-url "${TORCH_INDEX_URL}" -r requirements-serve.txt

COPY .streamlit/ .streamlit/
COPY app.py ./
COPY pages/ pages/
COPY labcore/ labcore/
COPY labui/ labui/

RUN useradd --create-home --uid 1000 lab
USER lab

EXPOSE 8501
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"

# XSRF and CORS protection stay on (Streamlit's defaults); the cookie secret comes from
# STREAMLIT_SERVER_COOKIE_SECRET, the same on every replica.
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.headless", "true"]
