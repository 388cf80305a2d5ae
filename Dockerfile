# jobstatus: build with the Swift toolchain, run on a slim Debian. The binary links no hiredis (the
# front parses RESP itself); libhiredis-dev is there for the package's test-only CHiredis target.
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libhiredis-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product jobstatus --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/jobstatus" /usr/local/bin/jobstatus

FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/jobstatus /usr/local/bin/jobstatus
COPY Config /etc/jobstatus
ENV JOBSTATUS_CONFIG=/etc/jobstatus/jobstatus.json
USER nobody
EXPOSE 8080
ENTRYPOINT ["jobstatus"]
CMD ["serve"]
