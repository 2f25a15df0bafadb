from media_pipeline.cli.main import main

main()
