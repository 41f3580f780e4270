# mix-emulator in a container: `docker build -t mix-emulator .` then see compose.yaml.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY emulator ./emulator
RUN pip install --no-cache-dir . && useradd --create-home emulator && mkdir /data && chown emulator /data
USER emulator
ENV MIXEMU_DATA_DIR=/data
VOLUME /data
EXPOSE 8080 1935
ENTRYPOINT ["mix-emulator"]
CMD ["serve", "--host", "0.0.0.0"]
